//! numpy arrays as frames: which pixel format each dtype and shape is, and
//! their pixels copied out, with the GIL released where the copy is long.
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
use numpy::ndarray::ArrayViewD;
use numpy::{Element, PyArrayDyn, PyArrayMethods, PyUntypedArray, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

/// What `send` takes, for the errors that say what was given.
pub const ACCEPTED: &str = "uint8 (H, W, 3) RGB, (H, W, 4) RGBA or (H, W) gray; \
    uint16 (H, W); float32 or float64 (H, W); bool (H, W)";

/// A frame's size, format and pixels (row-major, tightly packed,
/// little-endian), from a numpy array.
pub struct Frame {
    pub width: u32,
    pub height: u32,
    pub format: PixelFormat,
    pub pixels: Vec<u8>,
}

/// The frame of `array`, or an error naming what was given and what is
/// accepted.
pub fn frame_of(py: Python<'_>, array: &Bound<'_, PyAny>) -> PyResult<Frame> {
    let Ok(untyped) = array.cast::<PyUntypedArray>() else {
        let kind = array
            .get_type()
            .name()
            .map_or_else(|_| "?".into(), |n| n.to_string());
        return Err(PyTypeError::new_err(format!(
            "expected a numpy array, got {kind}; framecast takes {ACCEPTED}"
        )));
    };
    let dtype = untyped.dtype().to_string();
    let shape = untyped.shape().to_vec();
    let refuse = || {
        let sides: Vec<String> = shape.iter().map(usize::to_string).collect();
        let shape = match sides.as_slice() {
            [one] => format!("({one},)"),
            sides => format!("({})", sides.join(", ")),
        };
        PyValueError::new_err(format!(
            "a {dtype} array of shape {shape} is no frame; framecast takes {ACCEPTED}"
        ))
    };
    let (height, width, format) = match (dtype.as_str(), shape.as_slice()) {
        ("uint8", &[h, w, 3]) => (h, w, PixelFormat::Rgb8),
        ("uint8", &[h, w, 4]) => (h, w, PixelFormat::Rgba8),
        ("uint8" | "bool", &[h, w] | &[h, w, 1]) => (h, w, PixelFormat::Gray8),
        ("uint16", &[h, w] | &[h, w, 1]) => (h, w, PixelFormat::Gray16),
        ("float32" | "float64", &[h, w] | &[h, w, 1]) => (h, w, PixelFormat::F32),
        ("uint8" | "bool" | "uint16" | "float32" | "float64", _) => return Err(refuse()),
        _ => {
            return Err(PyTypeError::new_err(format!(
                "expected a numpy array of {ACCEPTED}; got dtype {dtype}"
            )))
        }
    };
    let (Ok(width), Ok(height)) = (u32::try_from(width), u32::try_from(height)) else {
        return Err(PyValueError::new_err(format!(
            "a frame of {width} x {height} pixels is too large"
        )));
    };
    framecast_codec::frame_len(width, height, format)
        .map_err(|error| PyValueError::new_err(error.to_string()))?;
    let pixels = match dtype.as_str() {
        "bool" => convert::<bool, u8>(py, array, |&on| if on { 255 } else { 0 })?,
        "uint8" => copy::<u8>(py, array)?,
        "uint16" => copy::<u16>(py, array)?,
        "float32" => copy::<f32>(py, array)?,
        _ => convert::<f64, f32>(py, array, |&v| v as f32)?,
    };
    Ok(Frame {
        width,
        height,
        format,
        pixels,
    })
}

/// The elements of `array` (of `T`, known from its dtype) as they are,
/// row-major, little-endian: where the array is contiguous, one copy with
/// the GIL released; element by element where it is not (a crop, a
/// transpose).
fn copy<T: Element + bytemuck::Pod>(py: Python<'_>, array: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if cfg!(target_endian = "big") {
        return convert::<T, T>(py, array, |&v| v);
    }
    let array = array.cast::<PyArrayDyn<T>>()?;
    let readonly = array.readonly();
    // (A Fortran-ordered array is contiguous too, but in the wrong order.)
    let slice = readonly
        .as_slice()
        .ok()
        .filter(|_| readonly.is_c_contiguous());
    Ok(match slice {
        Some(slice) => py.detach(|| bytemuck::cast_slice::<T, u8>(slice).to_vec()),
        None => {
            let view: ArrayViewD<'_, T> = readonly.as_array();
            view.iter()
                .flat_map(|v| bytemuck::bytes_of(v).to_vec())
                .collect()
        }
    })
}

/// The elements of `array` (of `T`, known from its dtype) through `map`,
/// row-major, as little-endian bytes; with the GIL released where the array
/// is contiguous.
fn convert<T: Element + Copy + Sync, S: bytemuck::Pod + Send>(
    py: Python<'_>,
    array: &Bound<'_, PyAny>,
    map: impl Fn(&T) -> S + Send + Sync,
) -> PyResult<Vec<u8>> {
    let array = array.cast::<PyArrayDyn<T>>()?;
    let readonly = array.readonly();
    let bytes_of = |samples: &mut dyn Iterator<Item = S>, len: usize| {
        let size = std::mem::size_of::<S>();
        let mut out = vec![0u8; len * size];
        for (out, sample) in out.chunks_exact_mut(size).zip(samples) {
            out.copy_from_slice(bytemuck::bytes_of(&sample));
            if cfg!(target_endian = "big") {
                out.reverse();
            }
        }
        out
    };
    let slice = readonly
        .as_slice()
        .ok()
        .filter(|_| readonly.is_c_contiguous());
    Ok(match slice {
        Some(slice) => py.detach(|| bytes_of(&mut slice.iter().map(&map), slice.len())),
        None => {
            let view: ArrayViewD<'_, T> = readonly.as_array();
            bytes_of(&mut view.iter().map(&map), view.len())
        }
    })
}
