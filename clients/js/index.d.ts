/** <framecast-view>: the live view of one framecast stream. */
export declare class FramecastView extends HTMLElement {
  /** The framecast server's base URL (required with this package). */
  server: string;
  /** The stream's name (default: the first one the server lists). */
  stream: string;
  /** A view token, where the server needs one. */
  token: string;
  /** `auto`, `lossless` or a JPEG quality 1 to 100. */
  quality: string;
  /** How the frame fits the element's box. */
  fit: "contain" | "cover" | "fill" | "none" | "scale-down";
  /** Send pointer and key events to the producer. */
  interactive: boolean;
  /** Show a status line over the view. */
  status: boolean;
  /** Whether a connection to the stream is open. */
  readonly connected: boolean;
  /** The last second's figures. */
  readonly stats: { fps: number; kbps: number; decodeMs: number; latencyMs: number | null; lossy: boolean };
  /** The status line's text. */
  readonly statusText: string;
  /** The frame shown, exactly, as a PNG of its own size and format. */
  snapshot(): Promise<Blob>;
  /** The pixel at image column x, row y, or null outside the frame. */
  pixel(x: number, y: number): Promise<{ rgba: number[]; values: number[]; exact: boolean } | null>;
  /** Closes the connection for good. */
  close(): void;
}

export interface FramecastViewEvents {
  connect: CustomEvent<{ stream: string }>;
  disconnect: CustomEvent<{ code: number; reason: string; willReconnect: boolean }>;
  frame: CustomEvent<{ seq: number; width: number; height: number; exact: boolean }>;
  producer: CustomEvent<{ online: boolean }>;
  error: CustomEvent<{ message: string }>;
}

declare global {
  interface HTMLElementTagNameMap {
    "framecast-view": FramecastView;
  }
}
