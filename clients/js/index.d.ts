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
  /** How the frame fits the element's box until zoomed. */
  fit: "contain" | "cover" | "fill" | "none" | "scale-down";
  /** Pointer, wheel and keys go to the producer (otherwise: zoom, pan, inspect). */
  interactive: boolean;
  /** Show a status line over the view. */
  status: boolean;
  /** Show the last second's figures over the view. */
  statsOverlay: boolean;
  /** Whether a worker decodes and paints (attribute `main-thread` turns it off). */
  readonly worker: boolean;
  /** Where the frame is: CSS pixels per image pixel, the image point at the centre, whether it follows `fit`. */
  readonly view: FramecastViewport;
  /** Whether the picture is frozen. */
  readonly paused: boolean;
  /** Whether a connection to the stream is open. */
  readonly connected: boolean;
  /** The last second's figures. */
  readonly stats: {
    fps: number;
    kbps: number;
    decodeMs: number;
    paintMs: number;
    latencyMs: number | null;
    dropped: number;
    received: number;
    lossy: boolean;
  };
  /** The status line's text. */
  readonly statusText: string;
  /** The frame shown, exactly, as a PNG of its own size and format. */
  snapshot(): Promise<Blob>;
  /** The pixel at image column x, row y, or null outside the frame. */
  pixel(x: number, y: number): Promise<FramecastPixel | null>;
  /** The picture as painted, at the frame's size, RGBA. */
  shown(): Promise<{ width: number; height: number; data: Uint8ClampedArray }>;
  /** Zoom to `scale` CSS pixels (device pixels with `device`) per image pixel, centred on image point x, y. */
  zoomTo(scale: number, x?: number, y?: number, options?: { device?: boolean }): void;
  /** Back to fitting the frame as `fit` says. */
  fitView(): void;
  /** Freeze the picture while the stream goes on; the server stops sending. */
  pause(): void;
  /** Show the newest frame again. */
  resume(): void;
  /** Closes the connection for good. */
  close(): void;
}

export interface FramecastViewport {
  scale: number;
  x: number;
  y: number;
  fitted: boolean;
}

export interface FramecastPixel {
  /** The colour shown, RGBA. */
  rgba: number[];
  /** The frame's own channels: RGB or RGBA. */
  values: number[];
  /** False while JPEG tiles are shown, not yet refined. */
  exact: boolean;
}

export interface FramecastViewEvents {
  connect: CustomEvent<{ stream: string }>;
  disconnect: CustomEvent<{ code: number; reason: string; willReconnect: boolean }>;
  frame: CustomEvent<{ seq: number; width: number; height: number; exact: boolean }>;
  producer: CustomEvent<{ online: boolean }>;
  error: CustomEvent<{ message: string }>;
  viewchange: CustomEvent<FramecastViewport>;
  pointer: CustomEvent<{ x: number; y: number } & FramecastPixel>;
}

declare global {
  interface HTMLElementTagNameMap {
    "framecast-view": FramecastView;
  }
}
