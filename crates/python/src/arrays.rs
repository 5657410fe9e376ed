//! numpy arrays as frames: the one place that says which arrays are frames
//! (their pixel format by dtype and shape, their size within the codec's
//! limits) and copies their pixels out, with the GIL released where the copy
//! is long. Array-likes (DLPack, `__array__`, PIL images, matplotlib
//! figures) become numpy arrays in the Python package first
//! (`framecast/_arrays.py`).
//!
//! | array | format |
//! |---|---|
//! | `uint8` H x W x 3, H x W x 4 | RGB8, RGBA8 |
//! | `uint8` H x W, H x W x 1 | Gray8 |
//! | `bool` H x W | Gray8, `False` 0 and `True` 255 |
//! | `uint16` H x W | Gray16 |
//! | `float32` H x W | F32 |
//! | `float64` H x W | F32, converted (values beyond float32's range become infinities) |

use framecast_codec::PixelFormat;
use numpy::{Element, PyArrayDyn, PyArrayMethods, PyUntypedArray, PyUntypedArrayMethods};
use pyo3::prelude::*;

// The package's error for an array that is no frame (a ValueError and a
// TypeError too, so that code written for either catches it).
pyo3::import_exception!(framecast._errors, ArrayError);

/// What `send` takes, for the errors that say what was given.
pub const ACCEPTED: &str = "uint8 (H, W, 3) RGB, (H, W, 4) RGBA or (H, W) gray; \
    uint16 (H, W); float32 or float64 (H, W); bool (H, W)";

/// The dtypes frames come in, as numpy names them.
#[derive(Clone, Copy)]
enum Dtype {
    Bool,
    U8,
    U16,
    F32,
    F64,
}

/// A numpy array checked to be a frame: its size and format, and the array
/// to copy its pixels from.
pub struct Frame<'py> {
    pub width: u32,
    pub height: u32,
    pub format: PixelFormat,
    /// Bytes of its pixels.
    pub len: usize,
    dtype: Dtype,
    array: Bound<'py, PyAny>,
}

/// `frame` (a numpy array, or an array-like that `framecast._arrays` makes
/// one) as a frame, or an [`ArrayError`] naming what was given and what is
/// accepted.
pub fn frame_of<'py>(frame: &Bound<'py, PyAny>) -> PyResult<Frame<'py>> {
    let array = if frame.cast::<PyUntypedArray>().is_ok() {
        frame.clone()
    } else {
        let arrays = frame.py().import("framecast._arrays")?;
        arrays.call_method1("as_array", (frame,))?
    };
    let Ok(untyped) = array.cast::<PyUntypedArray>() else {
        let kind = array
            .get_type()
            .name()
            .map_or_else(|_| "?".into(), |n| n.to_string());
        return Err(ArrayError::new_err(format!(
            "expected a numpy array, got {kind}; framecast takes {ACCEPTED}"
        )));
    };
    let name = untyped.dtype().to_string();
    let shape = untyped.shape().to_vec();
    let dtype = match name.as_str() {
        "bool" => Dtype::Bool,
        "uint8" => Dtype::U8,
        "uint16" => Dtype::U16,
        "float32" => Dtype::F32,
        "float64" => Dtype::F64,
        _ => {
            return Err(ArrayError::new_err(format!(
                "expected a numpy array of {ACCEPTED}; got dtype {name}"
            )))
        }
    };
    let (height, width, format) = match (dtype, shape.as_slice()) {
        (Dtype::U8, &[h, w, 3]) => (h, w, PixelFormat::Rgb8),
        (Dtype::U8, &[h, w, 4]) => (h, w, PixelFormat::Rgba8),
        (Dtype::U8 | Dtype::Bool, &[h, w] | &[h, w, 1]) => (h, w, PixelFormat::Gray8),
        (Dtype::U16, &[h, w] | &[h, w, 1]) => (h, w, PixelFormat::Gray16),
        (Dtype::F32 | Dtype::F64, &[h, w] | &[h, w, 1]) => (h, w, PixelFormat::F32),
        _ => {
            let sides: Vec<String> = shape.iter().map(usize::to_string).collect();
            let shape = match sides.as_slice() {
                [one] => format!("({one},)"),
                sides => format!("({})", sides.join(", ")),
            };
            return Err(ArrayError::new_err(format!(
                "a {name} array of shape {shape} is no frame; framecast takes {ACCEPTED}"
            )));
        }
    };
    let (Ok(width), Ok(height)) = (u32::try_from(width), u32::try_from(height)) else {
        return Err(ArrayError::new_err(format!(
            "a frame of {width} x {height} pixels is too large"
        )));
    };
    let len = framecast_codec::frame_len(width, height, format)
        .map_err(|error| ArrayError::new_err(error.to_string()))?;
    Ok(Frame {
        width,
        height,
        format,
        len,
        dtype,
        array,
    })
}

impl Frame<'_> {
    /// Appends the frame's pixels to `out`: row-major, tightly packed,
    /// little-endian, as the wire format has them.
    pub fn append_pixels(&self, out: &mut Vec<u8>) -> PyResult<()> {
        // A crop, a transpose or a channel flip: numpy's own strided copy
        // first (about 12x faster than one element at a time here).
        let contiguous = self.array.cast::<PyUntypedArray>()?.is_c_contiguous();
        let array = if contiguous {
            self.array.clone()
        } else {
            let numpy = self.array.py().import("numpy")?;
            numpy.call_method1("ascontiguousarray", (&self.array,))?
        };
        match self.dtype {
            Dtype::Bool => convert::<bool, u8>(&array, out, |&on| if on { 255 } else { 0 }),
            Dtype::U8 => copy::<u8>(&array, out),
            Dtype::U16 => copy::<u16>(&array, out),
            Dtype::F32 => copy::<f32>(&array, out),
            Dtype::F64 => convert::<f64, f32>(&array, out, |&v| v as f32),
        }
    }
}

/// The elements of the C-contiguous `array` (of `T`, known from its dtype)
/// as they are, little-endian, appended to `out` in one copy with the GIL
/// released.
fn copy<T: Element + bytemuck::Pod>(array: &Bound<'_, PyAny>, out: &mut Vec<u8>) -> PyResult<()> {
    if cfg!(target_endian = "big") {
        return convert::<T, T>(array, out, |&v| v);
    }
    let array = array.cast::<PyArrayDyn<T>>()?;
    let readonly = array.readonly();
    let slice = readonly.as_slice()?;
    array
        .py()
        .detach(|| out.extend_from_slice(bytemuck::cast_slice::<T, u8>(slice)));
    Ok(())
}

/// The elements of the C-contiguous `array` (of `T`, known from its dtype)
/// through `map`, as little-endian bytes appended to `out`, with the GIL
/// released.
fn convert<T: Element + Copy + Sync, S: bytemuck::Pod + Send>(
    array: &Bound<'_, PyAny>,
    out: &mut Vec<u8>,
    map: impl Fn(&T) -> S + Send + Sync,
) -> PyResult<()> {
    let array = array.cast::<PyArrayDyn<T>>()?;
    let readonly = array.readonly();
    let slice = readonly.as_slice()?;
    array.py().detach(|| {
        let size = size_of::<S>();
        let start = out.len();
        out.resize(start + slice.len() * size, 0);
        for (out, value) in out[start..].chunks_exact_mut(size).zip(slice) {
            out.copy_from_slice(bytemuck::bytes_of(&map(value)));
            if cfg!(target_endian = "big") {
                out.reverse();
            }
        }
    });
    Ok(())
}
