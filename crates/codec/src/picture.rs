//! A whole frame as a picture file, for what reads pictures rather than
//! frame messages: a PNG that holds the frame exactly (the `png` feature:
//! the server's `frame.png`, the viewer's `snapshot()`), and a JPEG (the
//! `lossy` feature: the server's `frame.jpg` and MJPEG routes).
//!
//! An RGB8 frame makes an RGB picture and an RGBA8 frame an RGBA PNG, alpha
//! not premultiplied, as the frame has it. JPEG has no alpha: an RGBA8
//! frame's JPEG has its colour channels as they are, alpha left out (not
//! composited over any background). Gray8 and Gray16 frames make grayscale
//! PNGs of 8 and 16 bits holding their values; an F32 frame has no PNG of its
//! values, nor does any value frame a JPEG: map them to colours first
//! ([`crate::colormap::Palette::map`]).

use crate::{FrameRef, PixelFormat};

/// Appends `frame` as a PNG to `out`: RGB or RGBA of 8 bits a channel, or
/// gray of 8 or 16 bits, as the frame is, each row filtered by the row above
/// (PNG's "up" filter) and compressed with fdeflate, which is fast and
/// small enough for the viewer's wasm.
///
/// # Panics
/// For an F32 frame, which PNG cannot hold: map it to colours first.
#[cfg(feature = "png")]
pub fn png(frame: FrameRef<'_>, out: &mut Vec<u8>) {
    let (depth, colour) = match frame.format() {
        PixelFormat::Rgb8 => (8, 2),
        PixelFormat::Rgba8 => (8, 6),
        PixelFormat::Gray8 => (8, 0),
        PixelFormat::Gray16 => (16, 0),
        PixelFormat::F32 => panic!("PNG holds no floats: map an F32 frame to colours first"),
    };
    // PNG's 16-bit samples are big-endian.
    let swapped: Vec<u8>;
    let pixels = if depth == 16 {
        swapped = frame
            .pixels()
            .chunks_exact(2)
            .flat_map(|sample| [sample[1], sample[0]])
            .collect();
        &swapped
    } else {
        frame.pixels()
    };
    let stride = frame.stride();
    let mut filtered = Vec::with_capacity((stride + 1) * frame.height() as usize);
    let mut above: &[u8] = &[];
    for row in pixels.chunks_exact(stride) {
        filtered.push(2); // up: each byte minus the byte above (zeros above the first row)
        if above.is_empty() {
            filtered.extend_from_slice(row);
        } else {
            filtered.extend(
                row.iter()
                    .zip(above)
                    .map(|(byte, up)| byte.wrapping_sub(*up)),
            );
        }
        above = row;
    }
    let mut header = Vec::with_capacity(13);
    header.extend_from_slice(&frame.width().to_be_bytes());
    header.extend_from_slice(&frame.height().to_be_bytes());
    // Bits a sample, the colour type, deflate, adaptive filters, no interlace.
    header.extend_from_slice(&[depth, colour, 0, 0, 0]);
    out.extend_from_slice(b"\x89PNG\r\n\x1a\n");
    png_chunk(out, b"IHDR", &header);
    png_chunk(out, b"IDAT", &fdeflate::compress_to_vec(&filtered));
    png_chunk(out, b"IEND", &[]);
}

/// Appends one PNG chunk: length, type, data, and the CRC of type and data.
#[cfg(feature = "png")]
fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    let length = u32::try_from(data.len()).expect("a frame's PNG data fits a chunk");
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(&crc.finalize().to_be_bytes());
}

/// `frame` as a baseline 4:2:0 JPEG of `quality` (1 to 100), through
/// libjpeg-turbo.
///
/// # Panics
/// For a frame of a value format: map it to colours first.
#[cfg(feature = "lossy")]
pub fn jpeg(frame: FrameRef<'_>, quality: u8) -> Vec<u8> {
    let (width, height) = (frame.width() as usize, frame.height() as usize);
    let format = match frame.format() {
        PixelFormat::Rgb8 => turbojpeg::PixelFormat::RGB,
        // The fourth byte is read past, whatever it holds.
        PixelFormat::Rgba8 => turbojpeg::PixelFormat::RGBX,
        value => panic!("a {value} frame's JPEG is of its colours: map it first"),
    };
    let image = turbojpeg::Image {
        pixels: frame.pixels(),
        width,
        pitch: frame.stride(),
        height,
        format,
    };
    turbojpeg::compress(
        image,
        i32::from(quality.clamp(1, 100)),
        turbojpeg::Subsamp::Sub2x2,
    )
    .expect("libjpeg-turbo encodes any frame within the codec's limits")
    .to_vec()
}

#[cfg(all(test, feature = "png"))]
mod tests {
    use super::*;

    #[test]
    fn a_png_holds_the_frame_exactly_in_its_own_format() {
        let formats = [
            (PixelFormat::Rgb8, 3),
            (PixelFormat::Rgba8, 4),
            (PixelFormat::Gray8, 1),
            (PixelFormat::Gray16, 2),
        ];
        for (format, bytes) in formats {
            let pixels: Vec<u8> = (0..13 * 7 * bytes).map(|i| (i * 37 % 256) as u8).collect();
            let frame = FrameRef::new(13, 7, format, &pixels).unwrap();
            let mut file = Vec::new();
            png(frame, &mut file);
            let mut reader = png::Decoder::new(std::io::Cursor::new(&file))
                .read_info()
                .unwrap();
            let mut decoded = vec![0; reader.output_buffer_size().unwrap()];
            let info = reader.next_frame(&mut decoded).unwrap();
            assert_eq!((info.width, info.height), (13, 7));
            let channels = if format.is_value() { 1 } else { bytes };
            assert_eq!(info.color_type.samples(), channels);
            let mut expected = pixels.clone();
            if format == PixelFormat::Gray16 {
                // The PNG's samples are big-endian.
                expected
                    .chunks_exact_mut(2)
                    .for_each(|sample| sample.swap(0, 1));
            }
            assert_eq!(&decoded[..info.buffer_size()], &expected[..], "{format:?}");
        }
    }
}
