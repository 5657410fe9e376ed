//! Every codec the suite measures, behind one interface: encode frame `n`
//! (knowing frame `n - 1`, which only framecast uses) into bytes.

use framecast_codec::{Decoder, Encoder, FrameRef, PixelFormat};

/// A way to send a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// framecast: tile diff against the previous frame, LZ4, default tiles.
    Framecast,
    /// framecast with square tiles of this side, for the tile-size sweep.
    FramecastTiles(u16),
    /// framecast compressing the tiles of big changes on every core, as the
    /// server does.
    FramecastParallel,
    /// framecast as protocol version 1 encoded: XOR + LZ4 or raw for every
    /// tile, no bit planes (the same-run baseline of the bit-plane goals).
    FramecastXorOnly,
    /// framecast as protocol version 4 encoded: differences as bit planes +
    /// LZ4, never packed (the same-run baseline of the packed goals).
    FramecastPlanes,
    /// JPEG through libjpeg-turbo, 4:2:0, at this quality.
    Jpeg(i32),
    /// PNG at its fastest setting.
    PngFast,
    /// The pixels as they are.
    Raw,
}

impl Codec {
    /// Every codec, in table order.
    pub const ALL: [Codec; 5] = [
        Codec::Framecast,
        Codec::Jpeg(75),
        Codec::Jpeg(90),
        Codec::PngFast,
        Codec::Raw,
    ];

    /// Name in benchmark ids and tables.
    pub fn name(self) -> String {
        match self {
            Codec::Framecast => "framecast".into(),
            Codec::FramecastTiles(side) => format!("framecast-tiles{side}"),
            Codec::FramecastParallel => "framecast-parallel".into(),
            Codec::FramecastXorOnly => "framecast-xor-only".into(),
            Codec::FramecastPlanes => "framecast-planes".into(),
            Codec::Jpeg(quality) => format!("jpeg-q{quality}"),
            Codec::PngFast => "png-fast".into(),
            Codec::Raw => "raw".into(),
        }
    }
}

/// Tile sides the sweep tries.
pub const TILE_SIDES: [u16; 4] = [32, 64, 128, 256];
/// The frame size of the tile-size sweep.
pub const TILE_SWEEP_SIZE: (usize, usize) = (1000, 1000);

/// Reusable state for encoding one sequence of frames.
#[derive(Debug, Default)]
pub struct Encoders {
    framecast: Encoder,
    /// One per tile side of the sweep, made on first use.
    tiled: std::collections::BTreeMap<u16, Encoder>,
    /// Made on first use.
    parallel: Option<Encoder>,
    /// Made on first use.
    xor_only: Option<Encoder>,
    /// Made on first use.
    planes: Option<Encoder>,
}

/// Threads [`Codec::FramecastParallel`] uses: every core, as the server.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

impl Encoders {
    /// Encodes `frame` (RGB8, `width x height`) with `codec` into `out`
    /// (cleared first); `previous` is the frame before it, if any.
    pub fn encode(
        &mut self,
        codec: Codec,
        width: usize,
        height: usize,
        frame: &[u8],
        previous: Option<&[u8]>,
        out: &mut Vec<u8>,
    ) {
        out.clear();
        let (w, h) = (width as u32, height as u32);
        match codec {
            Codec::Framecast
            | Codec::FramecastTiles(_)
            | Codec::FramecastParallel
            | Codec::FramecastXorOnly
            | Codec::FramecastPlanes => {
                let encoder = match codec {
                    Codec::FramecastTiles(side) => self.tiled.entry(side).or_insert_with(|| {
                        Encoder::with_tile_size(side, side).expect("a valid tile side")
                    }),
                    Codec::FramecastParallel => self.parallel.get_or_insert_with(|| {
                        let mut encoder = Encoder::default();
                        encoder.set_threads(cores());
                        encoder
                    }),
                    Codec::FramecastPlanes => self.planes.get_or_insert_with(|| {
                        let mut encoder = Encoder::default();
                        encoder.set_packed(false);
                        encoder
                    }),
                    Codec::FramecastXorOnly => self.xor_only.get_or_insert_with(|| {
                        let mut encoder = Encoder::default();
                        encoder.set_bit_planes(false);
                        encoder
                    }),
                    _ => &mut self.framecast,
                };
                let frame =
                    FrameRef::new(w, h, PixelFormat::Rgb8, frame).expect("corpus frames fit");
                let base = previous.map(|p| {
                    (
                        1,
                        FrameRef::new(w, h, PixelFormat::Rgb8, p).expect("corpus frames fit"),
                    )
                });
                encoder.encode(2, 0, frame, base, out);
            }
            Codec::Jpeg(quality) => {
                let image = turbojpeg::Image {
                    pixels: frame,
                    width,
                    pitch: width * 3,
                    height,
                    format: turbojpeg::PixelFormat::RGB,
                };
                let jpeg = turbojpeg::compress(image, quality, turbojpeg::Subsamp::Sub2x2)
                    .expect("libjpeg-turbo encodes");
                out.extend_from_slice(&jpeg);
            }
            Codec::PngFast => {
                let mut encoder = png::Encoder::new(&mut *out, w, h);
                encoder.set_color(png::ColorType::Rgb);
                encoder.set_depth(png::BitDepth::Eight);
                encoder.set_compression(png::Compression::Fastest);
                let mut writer = encoder.write_header().expect("png header");
                writer.write_image_data(frame).expect("png data");
            }
            Codec::Raw => out.extend_from_slice(frame),
        }
    }
}

/// A framecast decoder holding frame `n - 1`, ready to apply the message of
/// frame `n` again and again (for timing the decode of one delta).
#[derive(Debug)]
pub struct DeltaDecode {
    base: Decoder,
    message: Vec<u8>,
}

impl DeltaDecode {
    /// Prepares the decode of `frame` as a delta against `previous`, encoded
    /// by `codec` (framecast with default tiles, those of the sweep, or
    /// protocol 4's bit planes).
    pub fn new(
        codec: Codec,
        width: usize,
        height: usize,
        previous: &[u8],
        frame: &[u8],
    ) -> DeltaDecode {
        let mut base = Decoder::new();
        let (w, h) = (width as u32, height as u32);
        let mut message = Vec::new();
        let mut encoder = match codec {
            Codec::FramecastTiles(side) => {
                Encoder::with_tile_size(side, side).expect("a valid tile side")
            }
            Codec::FramecastPlanes => {
                let mut encoder = Encoder::default();
                encoder.set_packed(false);
                encoder
            }
            _ => Encoder::default(),
        };
        encoder.encode_keyframe(
            1,
            0,
            FrameRef::new(w, h, PixelFormat::Rgb8, previous).expect("fits"),
            &mut message,
        );
        base.apply(&message).expect("keyframe decodes");
        message.clear();
        encoder.encode(
            2,
            0,
            FrameRef::new(w, h, PixelFormat::Rgb8, frame).expect("fits"),
            Some((
                1,
                FrameRef::new(w, h, PixelFormat::Rgb8, previous).expect("fits"),
            )),
            &mut message,
        );
        DeltaDecode { base, message }
    }

    /// A decoder holding the base, to apply [`message`](Self::message) to.
    pub fn decoder(&self) -> Decoder {
        self.base.clone()
    }

    /// The delta message.
    pub fn message(&self) -> &[u8] {
        &self.message
    }
}
