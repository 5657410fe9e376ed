/* tslint:disable */
/* eslint-disable */

/**
 * A rectangle of the framebuffer, in pixels.
 */
export class DirtyRect {
    private constructor();
    free(): void;
    [Symbol.dispose](): void;
    /**
     * Height in pixels.
     */
    height: number;
    /**
     * Width in pixels.
     */
    width: number;
    /**
     * Left column.
     */
    x: number;
    /**
     * Top row.
     */
    y: number;
}

/**
 * What one [`Viewer::apply`] did; small and copied into JavaScript.
 */
export class FrameStats {
    private constructor();
    free(): void;
    [Symbol.dispose](): void;
    /**
     * Capture time, milliseconds since the Unix epoch (0 if unknown).
     */
    capture_ms: number;
    /**
     * Frame height in pixels.
     */
    height: number;
    /**
     * Whether it was a keyframe.
     */
    keyframe: boolean;
    /**
     * Whether it refined the frame the viewer had (JPEG tiles made exact)
     * rather than bringing a new one.
     */
    refinement: boolean;
    /**
     * The frame's sequence number (exact below 2^53).
     */
    seq: number;
    /**
     * Tiles in the message.
     */
    tiles: number;
    /**
     * Frame width in pixels.
     */
    width: number;
}

/**
 * Decodes frame messages into a framebuffer and says what to paint.
 */
export class Viewer {
    free(): void;
    [Symbol.dispose](): void;
    /**
     * The ack message for the newest frame applied, with the time spent
     * decoding and painting since the last ack, and the time since that
     * frame's message arrived (`hold_us`: see PROTOCOL.md).
     */
    ack(decode_us: number, paint_us: number, hold_us: number): Uint8Array;
    /**
     * Applies one frame message to the framebuffer; paints nothing.
     *
     * Throws an `Error` saying what is wrong with a malformed message; the
     * viewer then needs a keyframe ([`keyframe_request`](Self::keyframe_request)).
     */
    apply(message: Uint8Array | number[]): FrameStats;
    /**
     * The colormap's 256 colours, RGBA, first to last: a colour bar.
     */
    colourBar(): Uint8Array;
    /**
     * An `ImageData` whose pixels are the picture in wasm memory (not a
     * copy): the framebuffer, or a value frame's colours. Put it onto a
     * canvas at once, since applying the next message may move it. Made
     * once, remade only when the picture or wasm memory moved. Throws when
     * no frame is held.
     */
    image(): ImageData;
    /**
     * A keyframe request; `after_error` says a message failed to decode.
     */
    keyframe_request(after_error: boolean): Uint8Array;
    /**
     * A viewer holding no frame yet.
     */
    constructor();
    /**
     * The pixel at column `x`, row `y` of the picture, as R, G, B, A (a
     * value frame's colour as painted); `undefined` outside it or before
     * the first keyframe.
     */
    pixel(x: number, y: number): Uint8Array | undefined;
    /**
     * The range the picture is painted with, `[lo, hi]`; `undefined`
     * before a value frame is painted.
     */
    range(): Float64Array | undefined;
    /**
     * The pixels of `width` x `height` at column `x`, row `y` of the
     * picture, as R, G, B, A row by row (a copy: for the values printed on
     * a zoomed view); `undefined` unless the rectangle lies within the
     * frame held.
     */
    region(x: number, y: number, width: number, height: number): Uint8Array | undefined;
    /**
     * Forgets the frame held (for a new connection); the canvas keeps
     * showing it until the next keyframe. The colormap and range chosen
     * stay.
     */
    reset(): void;
    /**
     * Chooses the colormap values are painted with: `gray`, `viridis`,
     * `magma`, `inferno`, `turbo` or `coolwarm`. Throws for another name.
     */
    setColormap(name: string): void;
    /**
     * Takes the range from the values: `auto` (what suits the format:
     * 0-255 for 8-bit gray, the bits in use for 16-bit, the window for
     * floats), `frame` (the frame's least and greatest finite value) or
     * `window` (those of the frames of the last two seconds). Throws for
     * another name.
     */
    setRangeMode(name: string): void;
    /**
     * Paints values over the fixed range `lo..=hi` (`lo` the colormap's
     * first colour, `hi` its last). Throws unless both are finite.
     */
    setRange(lo: number, hi: number): void;
    /**
     * The frame held as a PNG file, exactly: its own size, and RGB or RGBA
     * as its source was (alpha not premultiplied, which a canvas round trip
     * would not keep), or 8- or 16-bit gray holding a gray frame's values; a
     * float frame as the picture shown (its colours: PNG holds no floats).
     * Throws when no frame is held.
     */
    snapshot_png(): Uint8Array;
    /**
     * The part of the picture changed since the last call, to put onto
     * the canvas from [`image`](Self::image); `undefined` when nothing
     * changed (or no frame is held). For a value frame this is when the
     * changed part is mapped to colours: all of it when the colormap or the
     * range changed.
     */
    take_dirty(): DirtyRect | undefined;
    /**
     * The value at column `x`, row `y` of the frame held: an integer for
     * gray frames, the float itself (NaN, infinities) for float frames;
     * `undefined` for a colour frame, outside the frame or before the
     * first keyframe.
     */
    value(x: number, y: number): number | undefined;
    /**
     * The values of `width` x `height` at column `x`, row `y`, row by row
     * (for the values printed on a zoomed view); `undefined` for a colour
     * frame or unless the rectangle lies within the frame held.
     */
    values(x: number, y: number, width: number, height: number): Float64Array | undefined;
    /**
     * The colormap values are painted with.
     */
    readonly colormap: string;
    /**
     * The source format of the frame held: `"rgb8"`, `"rgba8"`, `"gray8"`,
     * `"gray16"`, `"f32"`, or `""` before the first keyframe.
     */
    readonly format: string;
    /**
     * Whether the frame held is of values (gray, 16-bit, float), which
     * are painted through the colormap.
     */
    readonly isValues: boolean;
    /**
     * Where the range comes from: `auto`, `frame`, `window` or `fixed`.
     */
    readonly rangeMode: string;
    /**
     * Sequence number of the frame held, or 0.
     */
    readonly seq: number;
}

/**
 * The protocol version this viewer speaks (PROTOCOL.md): the element refuses
 * a server that speaks another, with a message, rather than decoding
 * garbage.
 */
export function protocolVersion(): number;

export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

export interface InitOutput {
    readonly memory: WebAssembly.Memory;
    readonly __wbg_dirtyrect_free: (a: number, b: number) => void;
    readonly __wbg_framestats_free: (a: number, b: number) => void;
    readonly __wbg_get_dirtyrect_height: (a: number) => number;
    readonly __wbg_get_dirtyrect_width: (a: number) => number;
    readonly __wbg_get_dirtyrect_x: (a: number) => number;
    readonly __wbg_get_dirtyrect_y: (a: number) => number;
    readonly __wbg_get_framestats_capture_ms: (a: number) => number;
    readonly __wbg_get_framestats_height: (a: number) => number;
    readonly __wbg_get_framestats_keyframe: (a: number) => number;
    readonly __wbg_get_framestats_refinement: (a: number) => number;
    readonly __wbg_get_framestats_seq: (a: number) => number;
    readonly __wbg_get_framestats_tiles: (a: number) => number;
    readonly __wbg_get_framestats_width: (a: number) => number;
    readonly __wbg_set_dirtyrect_height: (a: number, b: number) => void;
    readonly __wbg_set_dirtyrect_width: (a: number, b: number) => void;
    readonly __wbg_set_dirtyrect_x: (a: number, b: number) => void;
    readonly __wbg_set_dirtyrect_y: (a: number, b: number) => void;
    readonly __wbg_set_framestats_capture_ms: (a: number, b: number) => void;
    readonly __wbg_set_framestats_height: (a: number, b: number) => void;
    readonly __wbg_set_framestats_keyframe: (a: number, b: number) => void;
    readonly __wbg_set_framestats_refinement: (a: number, b: number) => void;
    readonly __wbg_set_framestats_seq: (a: number, b: number) => void;
    readonly __wbg_set_framestats_tiles: (a: number, b: number) => void;
    readonly __wbg_set_framestats_width: (a: number, b: number) => void;
    readonly __wbg_viewer_free: (a: number, b: number) => void;
    readonly protocolVersion: () => number;
    readonly viewer_ack: (a: number, b: number, c: number, d: number) => [number, number];
    readonly viewer_apply: (a: number, b: number, c: number) => [number, number, number];
    readonly viewer_colormap: (a: number) => [number, number];
    readonly viewer_colourBar: (a: number) => [number, number];
    readonly viewer_format: (a: number) => [number, number];
    readonly viewer_image: (a: number) => [number, number, number];
    readonly viewer_isValues: (a: number) => number;
    readonly viewer_keyframe_request: (a: number, b: number) => [number, number];
    readonly viewer_new: () => number;
    readonly viewer_pixel: (a: number, b: number, c: number) => [number, number];
    readonly viewer_range: (a: number) => [number, number];
    readonly viewer_rangeMode: (a: number) => [number, number];
    readonly viewer_region: (a: number, b: number, c: number, d: number, e: number) => [number, number];
    readonly viewer_reset: (a: number) => void;
    readonly viewer_seq: (a: number) => number;
    readonly viewer_setColormap: (a: number, b: number, c: number) => [number, number];
    readonly viewer_setRange: (a: number, b: number, c: number) => [number, number];
    readonly viewer_setRangeMode: (a: number, b: number, c: number) => [number, number];
    readonly viewer_snapshot_png: (a: number) => [number, number, number, number];
    readonly viewer_take_dirty: (a: number) => number;
    readonly viewer_value: (a: number, b: number, c: number) => [number, number];
    readonly viewer_values: (a: number, b: number, c: number, d: number, e: number) => [number, number];
    readonly __wbindgen_exn_store: (a: number) => void;
    readonly __externref_table_alloc: () => number;
    readonly __wbindgen_externrefs: WebAssembly.Table;
    readonly __wbindgen_free: (a: number, b: number, c: number) => void;
    readonly __wbindgen_malloc: (a: number, b: number) => number;
    readonly __externref_table_dealloc: (a: number) => void;
    readonly __wbindgen_realloc: (a: number, b: number, c: number, d: number) => number;
    readonly __wbindgen_start: () => void;
}

export type SyncInitInput = BufferSource | WebAssembly.Module;

/**
 * Instantiates the given `module`, which can either be bytes or
 * a precompiled `WebAssembly.Module`.
 *
 * @param {{ module: SyncInitInput }} module - Passing `SyncInitInput` directly is deprecated.
 *
 * @returns {InitOutput}
 */
export function initSync(module: { module: SyncInitInput } | SyncInitInput): InitOutput;

/**
 * If `module_or_path` is {RequestInfo} or {URL}, makes a request and
 * for everything else, calls `WebAssembly.instantiate` directly.
 *
 * @param {{ module_or_path: InitInput | Promise<InitInput> }} module_or_path - Passing `InitInput` directly is deprecated.
 *
 * @returns {Promise<InitOutput>}
 */
export default function __wbg_init (module_or_path?: { module_or_path: InitInput | Promise<InitInput> } | InitInput | Promise<InitInput>): Promise<InitOutput>;
