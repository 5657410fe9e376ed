/* @ts-self-types="./framecast_viewer.d.ts" */

/**
 * A rectangle of the framebuffer, in pixels.
 */
export class DirtyRect {
    static __wrap(ptr) {
        const obj = Object.create(DirtyRect.prototype);
        obj.__wbg_ptr = ptr;
        DirtyRectFinalization.register(obj, obj.__wbg_ptr, obj);
        return obj;
    }
    __destroy_into_raw() {
        const ptr = this.__wbg_ptr;
        this.__wbg_ptr = 0;
        DirtyRectFinalization.unregister(this);
        return ptr;
    }
    free() {
        const ptr = this.__destroy_into_raw();
        wasm.__wbg_dirtyrect_free(ptr, 0);
    }
    /**
     * Height in pixels.
     * @returns {number}
     */
    get height() {
        const ret = wasm.__wbg_get_dirtyrect_height(this.__wbg_ptr);
        return ret >>> 0;
    }
    /**
     * Width in pixels.
     * @returns {number}
     */
    get width() {
        const ret = wasm.__wbg_get_dirtyrect_width(this.__wbg_ptr);
        return ret >>> 0;
    }
    /**
     * Left column.
     * @returns {number}
     */
    get x() {
        const ret = wasm.__wbg_get_dirtyrect_x(this.__wbg_ptr);
        return ret >>> 0;
    }
    /**
     * Top row.
     * @returns {number}
     */
    get y() {
        const ret = wasm.__wbg_get_dirtyrect_y(this.__wbg_ptr);
        return ret >>> 0;
    }
    /**
     * Height in pixels.
     * @param {number} arg0
     */
    set height(arg0) {
        wasm.__wbg_set_dirtyrect_height(this.__wbg_ptr, arg0);
    }
    /**
     * Width in pixels.
     * @param {number} arg0
     */
    set width(arg0) {
        wasm.__wbg_set_dirtyrect_width(this.__wbg_ptr, arg0);
    }
    /**
     * Left column.
     * @param {number} arg0
     */
    set x(arg0) {
        wasm.__wbg_set_dirtyrect_x(this.__wbg_ptr, arg0);
    }
    /**
     * Top row.
     * @param {number} arg0
     */
    set y(arg0) {
        wasm.__wbg_set_dirtyrect_y(this.__wbg_ptr, arg0);
    }
}
if (Symbol.dispose) DirtyRect.prototype[Symbol.dispose] = DirtyRect.prototype.free;

/**
 * What one [`Viewer::apply`] did; small and copied into JavaScript.
 */
export class FrameStats {
    static __wrap(ptr) {
        const obj = Object.create(FrameStats.prototype);
        obj.__wbg_ptr = ptr;
        FrameStatsFinalization.register(obj, obj.__wbg_ptr, obj);
        return obj;
    }
    __destroy_into_raw() {
        const ptr = this.__wbg_ptr;
        this.__wbg_ptr = 0;
        FrameStatsFinalization.unregister(this);
        return ptr;
    }
    free() {
        const ptr = this.__destroy_into_raw();
        wasm.__wbg_framestats_free(ptr, 0);
    }
    /**
     * Capture time, milliseconds since the Unix epoch (0 if unknown).
     * @returns {number}
     */
    get capture_ms() {
        const ret = wasm.__wbg_get_framestats_capture_ms(this.__wbg_ptr);
        return ret;
    }
    /**
     * Frame height in pixels.
     * @returns {number}
     */
    get height() {
        const ret = wasm.__wbg_get_framestats_height(this.__wbg_ptr);
        return ret >>> 0;
    }
    /**
     * Whether it was a keyframe.
     * @returns {boolean}
     */
    get keyframe() {
        const ret = wasm.__wbg_get_framestats_keyframe(this.__wbg_ptr);
        return ret !== 0;
    }
    /**
     * Whether it refined the frame the viewer had (JPEG tiles made exact)
     * rather than bringing a new one.
     * @returns {boolean}
     */
    get refinement() {
        const ret = wasm.__wbg_get_framestats_refinement(this.__wbg_ptr);
        return ret !== 0;
    }
    /**
     * The frame's sequence number (exact below 2^53).
     * @returns {number}
     */
    get seq() {
        const ret = wasm.__wbg_get_framestats_seq(this.__wbg_ptr);
        return ret;
    }
    /**
     * Tiles in the message.
     * @returns {number}
     */
    get tiles() {
        const ret = wasm.__wbg_get_framestats_tiles(this.__wbg_ptr);
        return ret >>> 0;
    }
    /**
     * Frame width in pixels.
     * @returns {number}
     */
    get width() {
        const ret = wasm.__wbg_get_framestats_width(this.__wbg_ptr);
        return ret >>> 0;
    }
    /**
     * Capture time, milliseconds since the Unix epoch (0 if unknown).
     * @param {number} arg0
     */
    set capture_ms(arg0) {
        wasm.__wbg_set_framestats_capture_ms(this.__wbg_ptr, arg0);
    }
    /**
     * Frame height in pixels.
     * @param {number} arg0
     */
    set height(arg0) {
        wasm.__wbg_set_framestats_height(this.__wbg_ptr, arg0);
    }
    /**
     * Whether it was a keyframe.
     * @param {boolean} arg0
     */
    set keyframe(arg0) {
        wasm.__wbg_set_framestats_keyframe(this.__wbg_ptr, arg0);
    }
    /**
     * Whether it refined the frame the viewer had (JPEG tiles made exact)
     * rather than bringing a new one.
     * @param {boolean} arg0
     */
    set refinement(arg0) {
        wasm.__wbg_set_framestats_refinement(this.__wbg_ptr, arg0);
    }
    /**
     * The frame's sequence number (exact below 2^53).
     * @param {number} arg0
     */
    set seq(arg0) {
        wasm.__wbg_set_framestats_seq(this.__wbg_ptr, arg0);
    }
    /**
     * Tiles in the message.
     * @param {number} arg0
     */
    set tiles(arg0) {
        wasm.__wbg_set_framestats_tiles(this.__wbg_ptr, arg0);
    }
    /**
     * Frame width in pixels.
     * @param {number} arg0
     */
    set width(arg0) {
        wasm.__wbg_set_framestats_width(this.__wbg_ptr, arg0);
    }
}
if (Symbol.dispose) FrameStats.prototype[Symbol.dispose] = FrameStats.prototype.free;

/**
 * Decodes frame messages into a framebuffer and says what to paint.
 */
export class Viewer {
    __destroy_into_raw() {
        const ptr = this.__wbg_ptr;
        this.__wbg_ptr = 0;
        ViewerFinalization.unregister(this);
        return ptr;
    }
    free() {
        const ptr = this.__destroy_into_raw();
        wasm.__wbg_viewer_free(ptr, 0);
    }
    /**
     * The ack message for the newest frame applied, with the time spent
     * decoding and painting since the last ack, and the time since that
     * frame's message arrived (`hold_us`: see PROTOCOL.md).
     * @param {number} decode_us
     * @param {number} paint_us
     * @param {number} hold_us
     * @returns {Uint8Array}
     */
    ack(decode_us, paint_us, hold_us) {
        const ret = wasm.viewer_ack(this.__wbg_ptr, decode_us, paint_us, hold_us);
        var v1 = getArrayU8FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 1, 1);
        return v1;
    }
    /**
     * Applies one frame message to the framebuffer; paints nothing.
     *
     * Throws an `Error` saying what is wrong with a malformed message; the
     * viewer then needs a keyframe ([`keyframe_request`](Self::keyframe_request)).
     * @param {Uint8Array | number[]} message
     * @returns {FrameStats}
     */
    apply(message) {
        const ptr0 = passArray8ToWasm0(message, wasm.__wbindgen_malloc);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.viewer_apply(this.__wbg_ptr, ptr0, len0);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return FrameStats.__wrap(ret[0]);
    }
    /**
     * The colormap values are painted with.
     * @returns {string}
     */
    get colormap() {
        let deferred1_0;
        let deferred1_1;
        try {
            const ret = wasm.viewer_colormap(this.__wbg_ptr);
            deferred1_0 = ret[0];
            deferred1_1 = ret[1];
            return getStringFromWasm0(ret[0], ret[1]);
        } finally {
            wasm.__wbindgen_free(deferred1_0, deferred1_1, 1);
        }
    }
    /**
     * The colormap's 256 colours, RGBA, first to last: a colour bar.
     * @returns {Uint8Array}
     */
    colourBar() {
        const ret = wasm.viewer_colourBar(this.__wbg_ptr);
        var v1 = getArrayU8FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 1, 1);
        return v1;
    }
    /**
     * The source format of the frame held: `"rgb8"`, `"rgba8"`, `"gray8"`,
     * `"gray16"`, `"f32"`, or `""` before the first keyframe.
     * @returns {string}
     */
    get format() {
        let deferred1_0;
        let deferred1_1;
        try {
            const ret = wasm.viewer_format(this.__wbg_ptr);
            deferred1_0 = ret[0];
            deferred1_1 = ret[1];
            return getStringFromWasm0(ret[0], ret[1]);
        } finally {
            wasm.__wbindgen_free(deferred1_0, deferred1_1, 1);
        }
    }
    /**
     * An `ImageData` whose pixels are the picture in wasm memory (not a
     * copy): the framebuffer, or a value frame's colours. Put it onto a
     * canvas at once, since applying the next message may move it. Made
     * once, remade only when the picture or wasm memory moved. Throws when
     * no frame is held.
     * @returns {ImageData}
     */
    image() {
        const ret = wasm.viewer_image(this.__wbg_ptr);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return takeFromExternrefTable0(ret[0]);
    }
    /**
     * Whether the frame held is of values (gray, 16-bit, float), which
     * are painted through the colormap.
     * @returns {boolean}
     */
    get isValues() {
        const ret = wasm.viewer_isValues(this.__wbg_ptr);
        return ret !== 0;
    }
    /**
     * A keyframe request; `after_error` says a message failed to decode.
     * @param {boolean} after_error
     * @returns {Uint8Array}
     */
    keyframe_request(after_error) {
        const ret = wasm.viewer_keyframe_request(this.__wbg_ptr, after_error);
        var v1 = getArrayU8FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 1, 1);
        return v1;
    }
    /**
     * A viewer holding no frame yet.
     */
    constructor() {
        const ret = wasm.viewer_new();
        this.__wbg_ptr = ret;
        ViewerFinalization.register(this, this.__wbg_ptr, this);
        return this;
    }
    /**
     * The pixel at column `x`, row `y` of the picture, as R, G, B, A (a
     * value frame's colour as painted); `undefined` outside it or before
     * the first keyframe.
     * @param {number} x
     * @param {number} y
     * @returns {Uint8Array | undefined}
     */
    pixel(x, y) {
        const ret = wasm.viewer_pixel(this.__wbg_ptr, x, y);
        let v1;
        if (ret[0] !== 0) {
            v1 = getArrayU8FromWasm0(ret[0], ret[1]).slice();
            wasm.__wbindgen_free(ret[0], ret[1] * 1, 1);
        }
        return v1;
    }
    /**
     * Where the range comes from: `auto`, `frame`, `window` or `fixed`.
     * @returns {string}
     */
    get rangeMode() {
        let deferred1_0;
        let deferred1_1;
        try {
            const ret = wasm.viewer_rangeMode(this.__wbg_ptr);
            deferred1_0 = ret[0];
            deferred1_1 = ret[1];
            return getStringFromWasm0(ret[0], ret[1]);
        } finally {
            wasm.__wbindgen_free(deferred1_0, deferred1_1, 1);
        }
    }
    /**
     * The range the picture is painted with, `[lo, hi]`; `undefined`
     * before a value frame is painted.
     * @returns {Float64Array | undefined}
     */
    range() {
        const ret = wasm.viewer_range(this.__wbg_ptr);
        let v1;
        if (ret[0] !== 0) {
            v1 = getArrayF64FromWasm0(ret[0], ret[1]).slice();
            wasm.__wbindgen_free(ret[0], ret[1] * 8, 8);
        }
        return v1;
    }
    /**
     * The pixels of `width` x `height` at column `x`, row `y` of the
     * picture, as R, G, B, A row by row (a copy: for the values printed on
     * a zoomed view); `undefined` unless the rectangle lies within the
     * frame held.
     * @param {number} x
     * @param {number} y
     * @param {number} width
     * @param {number} height
     * @returns {Uint8Array | undefined}
     */
    region(x, y, width, height) {
        const ret = wasm.viewer_region(this.__wbg_ptr, x, y, width, height);
        let v1;
        if (ret[0] !== 0) {
            v1 = getArrayU8FromWasm0(ret[0], ret[1]).slice();
            wasm.__wbindgen_free(ret[0], ret[1] * 1, 1);
        }
        return v1;
    }
    /**
     * Forgets the frame held (for a new connection); the canvas keeps
     * showing it until the next keyframe. The colormap and range chosen
     * stay.
     */
    reset() {
        wasm.viewer_reset(this.__wbg_ptr);
    }
    /**
     * Sequence number of the frame held, or 0.
     * @returns {number}
     */
    get seq() {
        const ret = wasm.viewer_seq(this.__wbg_ptr);
        return ret;
    }
    /**
     * Chooses the colormap values are painted with: `gray`, `viridis`,
     * `magma`, `inferno`, `turbo` or `coolwarm`. Throws for another name.
     * @param {string} name
     */
    setColormap(name) {
        const ptr0 = passStringToWasm0(name, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.viewer_setColormap(this.__wbg_ptr, ptr0, len0);
        if (ret[1]) {
            throw takeFromExternrefTable0(ret[0]);
        }
    }
    /**
     * Takes the range from the values: `auto` (what suits the format:
     * 0-255 for 8-bit gray, the bits in use for 16-bit, the window for
     * floats), `frame` (the frame's least and greatest finite value) or
     * `window` (those of the frames of the last two seconds). Throws for
     * another name.
     * @param {string} name
     */
    setRangeMode(name) {
        const ptr0 = passStringToWasm0(name, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.viewer_setRangeMode(this.__wbg_ptr, ptr0, len0);
        if (ret[1]) {
            throw takeFromExternrefTable0(ret[0]);
        }
    }
    /**
     * Paints values over the fixed range `lo..=hi` (`lo` the colormap's
     * first colour, `hi` its last). Throws unless both are finite.
     * @param {number} lo
     * @param {number} hi
     */
    setRange(lo, hi) {
        const ret = wasm.viewer_setRange(this.__wbg_ptr, lo, hi);
        if (ret[1]) {
            throw takeFromExternrefTable0(ret[0]);
        }
    }
    /**
     * The frame held as a PNG file, exactly: its own size, and RGB or RGBA
     * as its source was (alpha not premultiplied, which a canvas round trip
     * would not keep), or 8- or 16-bit gray holding a gray frame's values; a
     * float frame as the picture shown (its colours: PNG holds no floats).
     * Throws when no frame is held.
     * @returns {Uint8Array}
     */
    snapshot_png() {
        const ret = wasm.viewer_snapshot_png(this.__wbg_ptr);
        if (ret[3]) {
            throw takeFromExternrefTable0(ret[2]);
        }
        var v1 = getArrayU8FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 1, 1);
        return v1;
    }
    /**
     * The part of the picture changed since the last call, to put onto
     * the canvas from [`image`](Self::image); `undefined` when nothing
     * changed (or no frame is held). For a value frame this is when the
     * changed part is mapped to colours: all of it when the colormap or the
     * range changed.
     * @returns {DirtyRect | undefined}
     */
    take_dirty() {
        const ret = wasm.viewer_take_dirty(this.__wbg_ptr);
        return ret === 0 ? undefined : DirtyRect.__wrap(ret);
    }
    /**
     * The value at column `x`, row `y` of the frame held: an integer for
     * gray frames, the float itself (NaN, infinities) for float frames;
     * `undefined` for a colour frame, outside the frame or before the
     * first keyframe.
     * @param {number} x
     * @param {number} y
     * @returns {number | undefined}
     */
    value(x, y) {
        const ret = wasm.viewer_value(this.__wbg_ptr, x, y);
        return ret[0] === 0 ? undefined : ret[1];
    }
    /**
     * The values of `width` x `height` at column `x`, row `y`, row by row
     * (for the values printed on a zoomed view); `undefined` for a colour
     * frame or unless the rectangle lies within the frame held.
     * @param {number} x
     * @param {number} y
     * @param {number} width
     * @param {number} height
     * @returns {Float64Array | undefined}
     */
    values(x, y, width, height) {
        const ret = wasm.viewer_values(this.__wbg_ptr, x, y, width, height);
        let v1;
        if (ret[0] !== 0) {
            v1 = getArrayF64FromWasm0(ret[0], ret[1]).slice();
            wasm.__wbindgen_free(ret[0], ret[1] * 8, 8);
        }
        return v1;
    }
}
if (Symbol.dispose) Viewer.prototype[Symbol.dispose] = Viewer.prototype.free;

/**
 * The protocol version this viewer speaks (PROTOCOL.md): the element refuses
 * a server that speaks another, with a message, rather than decoding
 * garbage.
 * @returns {number}
 */
export function protocolVersion() {
    const ret = wasm.protocolVersion();
    return ret;
}
function __wbg_get_imports() {
    const import0 = {
        __proto__: null,
        __wbg_Error_208446807d0d1e30: function(arg0, arg1) {
            const ret = Error(getStringFromWasm0(arg0, arg1));
            return ret;
        },
        __wbg___wbindgen_is_undefined_be5b34249ff1fc15: function(arg0) {
            const ret = arg0 === undefined;
            return ret;
        },
        __wbg___wbindgen_memory_17a1178bc3328ea3: function() {
            const ret = wasm.memory;
            return ret;
        },
        __wbg___wbindgen_throw_4c88d8bf264fd984: function(arg0, arg1) {
            throw new Error(getStringFromWasm0(arg0, arg1));
        },
        __wbg_buffer_0eaa216bac6b8749: function(arg0) {
            const ret = arg0.buffer;
            return ret;
        },
        __wbg_get_2080c49015e35254: function() { return handleError(function (arg0, arg1) {
            const ret = Reflect.get(arg0, arg1);
            return ret;
        }, arguments); },
        __wbg_instanceof_Performance_2b9444a94b6a603f: function(arg0) {
            let result;
            try {
                result = arg0 instanceof Performance;
            } catch (_) {
                result = false;
            }
            const ret = result;
            return ret;
        },
        __wbg_is_2248ff2b575d60c7: function(arg0, arg1) {
            const ret = Object.is(arg0, arg1);
            return ret;
        },
        __wbg_new_with_u8_clamped_array_and_sh_e5d757b60792d996: function() { return handleError(function (arg0, arg1, arg2, arg3) {
            const ret = new ImageData(getClampedArrayU8FromWasm0(arg0, arg1), arg2 >>> 0, arg3 >>> 0);
            return ret;
        }, arguments); },
        __wbg_now_043d245551b22f9c: function(arg0) {
            const ret = arg0.now();
            return ret;
        },
        __wbg_now_463ac581d2fc7ea3: function() {
            const ret = Date.now();
            return ret;
        },
        __wbg_static_accessor_GLOBAL_THIS_003ee833af9699fc: function() {
            const ret = typeof globalThis === 'undefined' ? undefined : globalThis;
            return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
        },
        __wbg_static_accessor_GLOBAL_e4293fb22cbe77da: function() {
            const ret = typeof global === 'undefined' ? undefined : global;
            return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
        },
        __wbg_static_accessor_SELF_53bb20457401453d: function() {
            const ret = typeof self === 'undefined' ? undefined : self;
            return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
        },
        __wbg_static_accessor_WINDOW_b5e0810bfecb7feb: function() {
            const ret = typeof window === 'undefined' ? undefined : window;
            return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
        },
        __wbindgen_generic_0000000000000001: function(arg0, arg1) {
            // Cast intrinsic for `Ref(String) -> Externref`.
            const ret = getStringFromWasm0(arg0, arg1);
            return ret;
        },
        __wbindgen_init_externref_table: function() {
            const table = wasm.__wbindgen_externrefs;
            table.set(0, undefined);
            table.set(1024, undefined);
            table.set(1025, null);
            table.set(1026, true);
            table.set(1027, false);
        },
    };
    return {
        __proto__: null,
        "./framecast_viewer_bg.js": import0,
    };
}

const DirtyRectFinalization = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(ptr => wasm.__wbg_dirtyrect_free(ptr, 1));
const FrameStatsFinalization = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(ptr => wasm.__wbg_framestats_free(ptr, 1));
const ViewerFinalization = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(ptr => wasm.__wbg_viewer_free(ptr, 1));

function addToExternrefTable0(obj) {
    const idx = wasm.__externref_table_alloc();
    wasm.__wbindgen_externrefs.set(idx, obj);
    return idx;
}

function getArrayF64FromWasm0(ptr, len) {
    ptr = ptr >>> 0;
    return getFloat64ArrayMemory0().subarray(ptr / 8, ptr / 8 + len);
}

function getArrayU8FromWasm0(ptr, len) {
    ptr = ptr >>> 0;
    return getUint8ArrayMemory0().subarray(ptr / 1, ptr / 1 + len);
}

function getClampedArrayU8FromWasm0(ptr, len) {
    ptr = ptr >>> 0;
    return getUint8ClampedArrayMemory0().subarray(ptr / 1, ptr / 1 + len);
}

let cachedFloat64ArrayMemory0 = null;
function getFloat64ArrayMemory0() {
    if (cachedFloat64ArrayMemory0 === null || cachedFloat64ArrayMemory0.byteLength === 0) {
        cachedFloat64ArrayMemory0 = new Float64Array(wasm.memory.buffer);
    }
    return cachedFloat64ArrayMemory0;
}

function getStringFromWasm0(ptr, len) {
    ptr = ptr >>> 0;
    return decodeText(getUint8ArrayMemory0().subarray(ptr, ptr + len));
}

let cachedUint8ArrayMemory0 = null;
function getUint8ArrayMemory0() {
    if (cachedUint8ArrayMemory0 === null || cachedUint8ArrayMemory0.byteLength === 0) {
        cachedUint8ArrayMemory0 = new Uint8Array(wasm.memory.buffer);
    }
    return cachedUint8ArrayMemory0;
}

let cachedUint8ClampedArrayMemory0 = null;
function getUint8ClampedArrayMemory0() {
    if (cachedUint8ClampedArrayMemory0 === null || cachedUint8ClampedArrayMemory0.byteLength === 0) {
        cachedUint8ClampedArrayMemory0 = new Uint8ClampedArray(wasm.memory.buffer);
    }
    return cachedUint8ClampedArrayMemory0;
}

function handleError(f, args) {
    try {
        return f.apply(this, args);
    } catch (e) {
        const idx = addToExternrefTable0(e);
        wasm.__wbindgen_exn_store(idx);
    }
}

function isLikeNone(x) {
    return x === undefined || x === null;
}

function passArray8ToWasm0(arg, malloc) {
    const ptr = malloc(arg.length * 1, 1) >>> 0;
    getUint8ArrayMemory0().set(arg, ptr / 1);
    WASM_VECTOR_LEN = arg.length;
    return ptr;
}

function passStringToWasm0(arg, malloc, realloc) {
    if (realloc === undefined) {
        const buf = cachedTextEncoder.encode(arg);
        const ptr = malloc(buf.length, 1) >>> 0;
        getUint8ArrayMemory0().subarray(ptr, ptr + buf.length).set(buf);
        WASM_VECTOR_LEN = buf.length;
        return ptr;
    }

    let len = arg.length;
    let ptr = malloc(len, 1) >>> 0;

    const mem = getUint8ArrayMemory0();

    let offset = 0;

    for (; offset < len; offset++) {
        const code = arg.charCodeAt(offset);
        if (code > 0x7F) break;
        mem[ptr + offset] = code;
    }
    if (offset !== len) {
        if (offset !== 0) {
            arg = arg.slice(offset);
        }
        ptr = realloc(ptr, len, len = offset + arg.length * 3, 1) >>> 0;
        const view = getUint8ArrayMemory0().subarray(ptr + offset, ptr + len);
        const ret = cachedTextEncoder.encodeInto(arg, view);

        offset += ret.written;
        ptr = realloc(ptr, len, offset, 1) >>> 0;
    }

    WASM_VECTOR_LEN = offset;
    return ptr;
}

function takeFromExternrefTable0(idx) {
    const value = wasm.__wbindgen_externrefs.get(idx);
    wasm.__externref_table_dealloc(idx);
    return value;
}

let cachedTextDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
cachedTextDecoder.decode();
const MAX_SAFARI_DECODE_BYTES = 2146435072;
let numBytesDecoded = 0;
function decodeText(bytes) {
    numBytesDecoded += bytes.length;
    if (numBytesDecoded >= MAX_SAFARI_DECODE_BYTES) {
        cachedTextDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
        cachedTextDecoder.decode();
        numBytesDecoded = bytes.length;
    }
    return cachedTextDecoder.decode(bytes);
}

const cachedTextEncoder = new TextEncoder();

if (!('encodeInto' in cachedTextEncoder)) {
    cachedTextEncoder.encodeInto = function (arg, view) {
        const buf = cachedTextEncoder.encode(arg);
        view.set(buf);
        return {
            read: arg.length,
            written: buf.length
        };
    };
}

let WASM_VECTOR_LEN = 0;

let wasmModule, wasmInstance, wasm;
function __wbg_finalize_init(instance, module) {
    wasmInstance = instance;
    wasm = instance.exports;
    wasmModule = module;
    cachedFloat64ArrayMemory0 = null;
    cachedUint8ArrayMemory0 = null;
    cachedUint8ClampedArrayMemory0 = null;
    wasm.__wbindgen_start();
    return wasm;
}

async function __wbg_load(module, imports) {
    if (typeof Response === 'function' && module instanceof Response) {
        if (!module.ok) {
            throw new Error(`failed to fetch Wasm: ${module.status} ${module.statusText} fetching '${module.url}'`);
        }

        if (typeof WebAssembly.instantiateStreaming === 'function') {
            try {
                return await WebAssembly.instantiateStreaming(module, imports);
            } catch (e) {
                const validResponse = expectedResponseType(module.type);

                if (validResponse && module.headers.get('Content-Type') !== 'application/wasm') {
                    console.warn("`WebAssembly.instantiateStreaming` failed because your server does not serve Wasm with `application/wasm` MIME type. Falling back to `WebAssembly.instantiate` which is slower. Original error:\n", e);

                } else { throw e; }
            }
        }

        const bytes = await module.arrayBuffer();
        return await WebAssembly.instantiate(bytes, imports);
    } else {
        const instance = await WebAssembly.instantiate(module, imports);

        if (instance instanceof WebAssembly.Instance) {
            return { instance, module };
        } else {
            return instance;
        }
    }

    function expectedResponseType(type) {
        switch (type) {
            case 'basic': case 'cors': case 'default': return true;
        }
        return false;
    }
}

function initSync(module) {
    if (wasm !== undefined) return wasm;


    if (module !== undefined) {
        if (Object.getPrototypeOf(module) === Object.prototype) {
            ({module} = module)
        } else {
            console.warn('using deprecated parameters for `initSync()`; pass a single object instead')
        }
    }

    const imports = __wbg_get_imports();
    if (!(module instanceof WebAssembly.Module)) {
        module = new WebAssembly.Module(module);
    }
    const instance = new WebAssembly.Instance(module, imports);
    return __wbg_finalize_init(instance, module);
}

let __wbg_init_promise;
async function __wbg_init(module_or_path) {
    if (wasm !== undefined) return wasm;
    if (__wbg_init_promise === undefined) {
        __wbg_init_promise = __wbg_init_once(module_or_path);
        __wbg_init_promise.catch(() => { __wbg_init_promise = undefined; });
    }
    return __wbg_init_promise;
}

async function __wbg_init_once(module_or_path) {

    if (module_or_path !== undefined) {
        if (Object.getPrototypeOf(module_or_path) === Object.prototype) {
            ({module_or_path} = module_or_path)
        } else {
            console.warn('using deprecated parameters for the initialization function; pass a single object instead')
        }
    }

    if (module_or_path === undefined) {
        module_or_path = new URL('framecast_viewer_bg.wasm', import.meta.url);
    }
    const imports = __wbg_get_imports();

    if (typeof module_or_path === 'string' || (typeof Request === 'function' && module_or_path instanceof Request) || (typeof URL === 'function' && module_or_path instanceof URL)) {
        module_or_path = fetch(module_or_path);
    }

    const { instance, module } = await __wbg_load(await module_or_path, imports);

    return __wbg_finalize_init(instance, module);
}

export { initSync, __wbg_init as default };
