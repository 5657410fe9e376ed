//! `framecast._native`, the Python package's extension: the framecast
//! server inside the Python process ([`framecast_server::Server`]), and its
//! streams, to which numpy arrays are published without a socket.

use std::collections::HashMap;
use std::ffi::CString;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use framecast_codec::colormap::{Colormap, RangeMode, View};
use framecast_codec::wire::{self, parse_publish};
use framecast_codec::Encoder;
use framecast_server::quality::Quality;
use framecast_server::stream::Presence;
use framecast_server::{Access, Config, Page, Role, Streams};
use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::exceptions::{PyImportError, PyOSError, PyRuntimeError, PyRuntimeWarning, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyTuple};
use tokio::sync::broadcast::{self, error::TryRecvError};

mod arrays;
mod logs;

/// Starts a framecast server in this process, on background threads; pages
/// of `allow_origins` may embed its streams.
#[pyfunction]
#[pyo3(signature = (host = "127.0.0.1", port = 8080, allow_origins = Vec::new()))]
fn serve(py: Python<'_>, host: &str, port: u16, allow_origins: Vec<String>) -> PyResult<Server> {
    let ip: IpAddr = host.parse().map_err(|_| {
        PyValueError::new_err(format!(
            "host is an IP address, like 127.0.0.1; got {host:?}"
        ))
    })?;
    let bind = SocketAddr::new(ip, port);
    // Beyond loopback, a view token in the URL; publishing stays in-process.
    let mut access = Access::in_process(bind).map_err(|error| os_error(py, error))?;
    for origin in &allow_origins {
        let origin = framecast_server::access::parse_origin(origin)
            .map_err(|error| PyValueError::new_err(format!("allow_origins: {error}")))?;
        access.allowed_origins.push(origin);
    }
    let config = Config {
        access,
        ..Config::default()
    };
    let server = py
        .detach(|| framecast_server::Server::start(bind, config, Streams::new()))
        .map_err(|error| os_error(py, error))?;
    if let Some(missing) = Page::Embedded.missing_viewer() {
        let warning = py.get_type::<PyRuntimeWarning>();
        let message = CString::new(format!("the page cannot decode: {missing}"))?;
        PyErr::warn(py, &warning, &message, 2)?;
    }
    Ok(Server {
        address: server.address(),
        server: Some(server),
        presences: Mutex::default(),
    })
}

/// The `framecast` command (the Rust binary's, `--help` for all of it) run
/// with `argv`, the first being the program's name, in this process until
/// Ctrl-C; returns the exit status.
#[pyfunction]
fn main(py: Python<'_>, argv: Vec<std::ffi::OsString>) -> u8 {
    py.detach(|| framecast_server::cli::main(argv))
}

/// Sends the server's logs to [`_take_logs`] from now on; false if the
/// process logs elsewhere already (the `framecast` command prints them).
#[pyfunction]
fn _forward_logs() -> bool {
    logs::forward()
}

/// The server's log records since the last call as (Python level, logger
/// name, message), waiting up to `timeout` seconds for one, GIL released.
#[pyfunction]
fn _take_logs(py: Python<'_>, timeout: f64) -> PyResult<Vec<logs::Record>> {
    let timeout = Duration::try_from_secs_f64(timeout)
        .map_err(|error| PyValueError::new_err(format!("timeout: {error}")))?;
    Ok(py.detach(|| logs::take(timeout)))
}

/// The file at `path` of the page compiled into the extension (like
/// `element.js`), or None.
#[pyfunction]
fn _page_file(path: &str) -> Option<&'static [u8]> {
    Page::embedded_file(path)
}

/// The publish message (PROTOCOL.md) of `frame`, any array `Stream.send`
/// takes, captured at `capture_us` (microseconds since the Unix epoch; 0
/// lets the server stamp it), as a uint8 array: the remote `Publisher`'s
/// wire format, so that Python never writes it.
#[pyfunction]
#[pyo3(signature = (frame, capture_us = 0))]
fn publish_message<'py>(
    frame: &Bound<'py, PyAny>,
    capture_us: u64,
) -> PyResult<Bound<'py, PyArray1<u8>>> {
    let py = frame.py();
    let frame = arrays::frame_of(frame)?;
    let mut message = Vec::with_capacity(wire::PUBLISH_HEADER_LEN + frame.len);
    wire::write_publish_header(
        &mut message,
        frame.width,
        frame.height,
        frame.format,
        capture_us,
    );
    frame.append_pixels(&mut message)?;
    Ok(PyArray1::from_vec(py, message))
}

/// The view message (PROTOCOL.md) that says `view` (a view message, or None
/// for a stream's default) with what is given of `cmap`, `vmin` with `vmax`,
/// or `range` changed, checked as the server checks it.
#[pyfunction]
#[pyo3(signature = (view, *, cmap = None, vmin = None, vmax = None, range = None))]
fn view_message(
    view: Option<&str>,
    cmap: Option<&str>,
    vmin: Option<f64>,
    vmax: Option<f64>,
    range: Option<&str>,
) -> PyResult<String> {
    let current = match view {
        Some(text) => framecast_server::view::from_text(View::default(), text),
        None => Ok(View::default()),
    };
    current
        .and_then(|current| framecast_server::view::change(current, cmap, range, vmin, vmax))
        .map(framecast_server::view::message)
        .map_err(PyValueError::new_err)
}

/// `quality` (`"auto"`, `"lossless"` or a JPEG quality from 1 to 100, as a
/// number or text) as a stream's `?quality=` says it; a ValueError naming
/// what is accepted otherwise.
#[pyfunction]
fn quality(quality: &Bound<'_, PyAny>) -> PyResult<String> {
    // An int as its digits; True is an int to Python, not a quality.
    let text = if quality.is_instance_of::<PyBool>() {
        None
    } else if let Ok(number) = quality.extract::<i64>() {
        Some(number.to_string())
    } else {
        quality.extract::<String>().ok()
    };
    let refuse = || {
        PyValueError::new_err(format!(
            "quality is 'auto', 'lossless' or a JPEG quality from 1 to 100, got {}",
            quality
                .repr()
                .map_or_else(|_| "?".into(), |repr| repr.to_string())
        ))
    };
    let quality: Quality = text.ok_or_else(refuse)?.parse().map_err(|_| refuse())?;
    Ok(quality.to_string())
}

/// `frame` (RGB or RGBA) as a baseline 4:2:0 JPEG of `quality`, by the
/// libjpeg-turbo this extension carries (the encoder of the server's JPEG
/// tiles and MJPEG), GIL released; for the benchmark against cv2's.
#[pyfunction]
#[pyo3(signature = (frame, quality = 95))]
fn _jpeg<'py>(
    frame: &Bound<'py, PyAny>,
    quality: u8,
) -> PyResult<Bound<'py, pyo3::types::PyBytes>> {
    let py = frame.py();
    let frame = arrays::frame_of(frame)?;
    if frame.format.is_value() {
        return Err(arrays::ArrayError::new_err(
            "a JPEG is of colours: uint8 (H, W, 3) RGB or (H, W, 4) RGBA",
        ));
    }
    let mut pixels = Vec::with_capacity(frame.len);
    frame.append_pixels(&mut pixels)?;
    let jpeg = py.detach(|| {
        let frame =
            framecast_codec::FrameRef::new(frame.width, frame.height, frame.format, &pixels)
                .expect("frame_of checked its size");
        framecast_codec::picture::jpeg(frame, quality)
    });
    Ok(pyo3::types::PyBytes::new(py, &jpeg))
}

/// A framecast server running in this process.
#[pyclass(module = "framecast._native")]
struct Server {
    address: SocketAddr,
    /// `None` once closed.
    server: Option<framecast_server::Server>,
    /// The producer's place each stream's `Stream` objects share while any
    /// lives: the program is one producer however many it makes.
    presences: Mutex<HashMap<String, Weak<Presence>>>,
}

impl Server {
    fn running(&self) -> PyResult<&framecast_server::Server> {
        self.server
            .as_ref()
            .ok_or_else(|| PyRuntimeError::new_err("the server is closed"))
    }
}

#[pymethods]
impl Server {
    /// The page's URL (with the token when viewing needs one).
    #[getter]
    fn url(&self) -> PyResult<String> {
        Ok(self.running()?.url())
    }

    /// The port it listens (or listened) on.
    #[getter]
    fn port(&self) -> u16 {
        self.address.port()
    }

    /// The stream named `name`, created on first use. The program counts as
    /// one of the stream's producers while any of its `Stream` objects for
    /// that name exists, so the stream does not expire however long the
    /// program goes without sending.
    fn stream(&self, name: &str) -> PyResult<Stream> {
        let server = self.running()?;
        let mut presences = self.presences.lock().expect("presences lock");
        presences.retain(|_, presence| presence.strong_count() > 0);
        let joined = presences
            .get(name)
            .and_then(Weak::upgrade)
            .filter(|presence| !presence.stream().is_removed());
        let (stream, presence) = match joined {
            Some(presence) => (Arc::clone(presence.stream()), presence),
            None => {
                let (stream, presence) = server
                    .streams()
                    .join(name, Role::Producer)
                    .map_err(|error| PyValueError::new_err(error.to_string()))?;
                let presence = Arc::new(presence);
                presences.insert(name.to_string(), Arc::downgrade(&presence));
                (stream, presence)
            }
        };
        Ok(Stream {
            events: Mutex::new(stream.subscribe_events()),
            events_dropped: AtomicU64::new(0),
            viewer_url: server.viewer_url(stream.name()),
            page_url: server.stream_url(stream.name()),
            embed_html: server.embed_html(stream.name()),
            stream,
            _presence: presence,
        })
    }

    /// Closes every viewer, stops the server and frees its port and threads.
    fn close(&mut self, py: Python<'_>) -> PyResult<()> {
        match self.server.take() {
            Some(server) => py
                .detach(|| server.close())
                .map_err(|error| os_error(py, error)),
            None => Ok(()),
        }
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __exit__(
        &mut self,
        py: Python<'_>,
        _type: Option<Bound<'_, PyAny>>,
        _value: Option<Bound<'_, PyAny>>,
        _traceback: Option<Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        self.close(py)
    }
}

/// One stream of an in-process server.
#[pyclass(module = "framecast._native")]
struct Stream {
    stream: Arc<framecast_server::Stream>,
    /// The viewers' input events since this object was made, as JSON; at
    /// most [`EVENT_BACKLOG`](framecast_server::stream::EVENT_BACKLOG) wait,
    /// older ones are dropped.
    events: Mutex<broadcast::Receiver<Arc<str>>>,
    /// Input events dropped because they were not polled in time.
    events_dropped: AtomicU64,
    /// Where a viewer in this process (the notebook widget) watches it.
    viewer_url: String,
    /// Its page on the server.
    page_url: String,
    /// The HTML that embeds it in another page.
    embed_html: String,
    _presence: Arc<Presence>,
}

#[pymethods]
impl Stream {
    /// Publishes `frame`: uint8 H x W x 3 (RGB), H x W x 4 (RGBA), H x W
    /// or H x W x 1 (gray); uint16 H x W; float32 H x W (float64 converted);
    /// bool H x W (0 and 255); contiguous or not; or an array-like of those
    /// (DLPack on the CPU, `__array__`, a PIL image, a matplotlib figure;
    /// anything else raises `framecast.ArrayError`). Copies it once (with the
    /// GIL released where it is contiguous) and returns: the array is the
    /// caller's again; the newest frame wins. For values (all but RGB and
    /// RGBA), `cmap` (gray, viridis, magma, inferno, turbo, coolwarm) and
    /// `vmin` with `vmax`, or `range` (auto, frame, window), say how viewers
    /// show this frame and the next ones until they choose otherwise.
    #[pyo3(signature = (frame, *, cmap = None, vmin = None, vmax = None, range = None))]
    fn send(
        &self,
        frame: &Bound<'_, PyAny>,
        cmap: Option<&str>,
        vmin: Option<f64>,
        vmax: Option<f64>,
        range: Option<&str>,
    ) -> PyResult<u64> {
        let frame = arrays::frame_of(frame)?;
        if cmap.is_some() || vmin.is_some() || vmax.is_some() || range.is_some() {
            self.set_view(cmap, vmin, vmax, range)?;
        }
        let mut pixels = Vec::with_capacity(frame.len);
        frame.append_pixels(&mut pixels)?;
        self.stream
            .publish(frame.width, frame.height, frame.format, pixels)
            .map_err(|error| arrays::ArrayError::new_err(error.to_string()))
    }

    /// Says how viewers show this stream's values from its next frame on,
    /// without sending one: what is given of `cmap` (gray, viridis, magma,
    /// inferno, turbo, coolwarm), `vmin` with `vmax`, or `range` (auto,
    /// frame, window) changes; the rest stays.
    #[pyo3(signature = (*, cmap = None, vmin = None, vmax = None, range = None))]
    fn set_view(
        &self,
        cmap: Option<&str>,
        vmin: Option<f64>,
        vmax: Option<f64>,
        range: Option<&str>,
    ) -> PyResult<()> {
        let view = framecast_server::view::change(self.stream.view(), cmap, range, vmin, vmax)
            .map_err(PyValueError::new_err)?;
        self.stream.set_view(view);
        Ok(())
    }

    /// Waits until every viewer watching has been sent the newest frame
    /// (at once with none), GIL released; returns whether it was within
    /// `timeout` seconds. A loop that calls it after each `send` makes
    /// frames as fast as its viewers take them.
    #[pyo3(signature = (timeout = 10.0))]
    fn flush(&self, py: Python<'_>, timeout: f64) -> PyResult<bool> {
        let timeout = Duration::try_from_secs_f64(timeout)
            .map_err(|error| PyValueError::new_err(format!("timeout: {error}")))?;
        Ok(py.detach(|| self.stream.wait_sent(timeout)))
    }

    /// Its name.
    #[getter]
    fn name(&self) -> &str {
        self.stream.name()
    }

    /// Input events this object dropped because `poll_events` was not called
    /// in time (the oldest go first); `poll_events` itself returns only
    /// events.
    #[getter]
    fn events_dropped(&self) -> u64 {
        self.events_dropped.load(Ordering::Relaxed)
    }

    /// Its own page on the server (with the view token when viewing needs
    /// one).
    #[getter]
    fn url(&self) -> &str {
        &self.page_url
    }

    /// The HTML that shows it live in a page of your own (an origin given
    /// to `serve(allow_origins=...)`): the element's script and one
    /// `<framecast-view>`, with a view token where one is needed, never the
    /// publish token.
    fn embed_html(&self) -> &str {
        &self.embed_html
    }

    /// The WebSocket URL at which a viewer in this process watches it.
    #[getter]
    fn _viewer_url(&self) -> &str {
        &self.viewer_url
    }

    /// Shows the live view in a notebook cell's output (needs
    /// `framecast[jupyter]`); for a stream of values, with the view's own
    /// `cmap`, `vmin` and `vmax` or `range` where given (the producer's
    /// otherwise).
    #[pyo3(signature = (*, cmap = None, vmin = None, vmax = None, range = None))]
    fn show(
        slf: &Bound<'_, Self>,
        cmap: Option<&str>,
        vmin: Option<f64>,
        vmax: Option<f64>,
        range: Option<&str>,
    ) -> PyResult<()> {
        let py = slf.py();
        let jupyter = py.import("framecast._jupyter")?;
        let view = pyo3::types::PyDict::new(py);
        view.set_item("colormap", cmap)?;
        view.set_item("vmin", vmin)?;
        view.set_item("vmax", vmax)?;
        view.set_item("range", range)?;
        jupyter.call_method("show", (slf,), Some(&view))?;
        Ok(())
    }

    /// The live view, when a notebook displays the stream; None (its repr)
    /// without anywidget.
    #[pyo3(signature = (include = None, exclude = None))]
    fn _repr_mimebundle_<'py>(
        slf: &Bound<'py, Self>,
        include: Option<Bound<'py, PyAny>>,
        exclude: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let py = slf.py();
        match py.import("framecast._jupyter") {
            Ok(jupyter) => jupyter
                .call_method1("mimebundle", (slf, include, exclude))
                .map(Some),
            Err(error) if error.is_instance_of::<PyImportError>(py) => Ok(None),
            Err(error) => Err(error),
        }
    }

    fn __repr__(&self) -> String {
        format!("<framecast.Stream {:?}>", self.stream.name())
    }

    /// The viewers' input events since the last call (possibly none), oldest
    /// first, as dicts (PROTOCOL.md lists their forms). Never blocks.
    fn poll_events<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyAny>>> {
        let loads = py.import("json")?.getattr("loads")?;
        let mut receiver = self.events.lock().expect("events lock");
        let mut events = Vec::new();
        loop {
            match receiver.try_recv() {
                Ok(json) => events.push(loads.call1((&*json,))?),
                Err(TryRecvError::Lagged(missed)) => {
                    self.events_dropped.fetch_add(missed, Ordering::Relaxed);
                    self.stream.events().note_dropped(missed);
                    tracing::warn!(
                        stream = self.stream.name(),
                        missed,
                        "input events not polled in time; dropped the oldest"
                    );
                }
                Err(TryRecvError::Empty | TryRecvError::Closed) => return Ok(events),
            }
        }
    }
}

/// The remote `Publisher`'s encoder of what changed between its frames.
#[pyclass(module = "framecast._native")]
struct _DeltaEncoder {
    encoder: Encoder,
    /// The last message, reused.
    message: Vec<u8>,
}

#[pymethods]
impl _DeltaEncoder {
    #[new]
    fn new() -> Self {
        // XOR and LZ4 only: cheap, and they find what did not change. The
        // bit planes, which halve natural content, cost the producer about
        // what they cost the server (5 ms a megapixel).
        let mut encoder = Encoder::default();
        encoder.set_bit_planes(false);
        _DeltaEncoder {
            encoder,
            message: Vec::new(),
        }
    }

    /// The frame message numbered `seq` of the publish message `frame`: a
    /// delta against the publish message `base` (numbered `seq - 1`), or a
    /// keyframe without one; None if longer than `max_len`. GIL released
    /// while it encodes.
    #[pyo3(signature = (frame, base, seq, max_len = None))]
    fn encode<'py>(
        &mut self,
        py: Python<'py>,
        frame: PyReadonlyArray1<'py, u8>,
        base: Option<PyReadonlyArray1<'py, u8>>,
        seq: u64,
        max_len: Option<usize>,
    ) -> PyResult<Option<Bound<'py, pyo3::types::PyBytes>>> {
        if seq == 0 {
            return Err(PyValueError::new_err("frames are numbered from 1"));
        }
        let invalid =
            |error: framecast_codec::DecodeError| PyValueError::new_err(error.to_string());
        let frame = parse_publish(frame.as_slice()?).map_err(invalid)?;
        let base = match &base {
            Some(base) => Some(parse_publish(base.as_slice()?).map_err(invalid)?),
            None => None,
        };
        let (encoder, message) = (&mut self.encoder, &mut self.message);
        py.detach(|| {
            message.clear();
            let base = base.map(|base| (seq - 1, base.frame));
            encoder.encode(seq, frame.capture_us, frame.frame, base, message);
        });
        let short_enough = max_len.is_none_or(|max_len| self.message.len() <= max_len);
        Ok(short_enough.then(|| pyo3::types::PyBytes::new(py, &self.message)))
    }
}

/// `OSError(errno, message)`, as Python's own socket errors are: the
/// errno of the system's error, or of its kind where the error was wrapped
/// ("cannot listen on ...: Address already in use"), from Python's `errno`.
fn os_error(py: Python<'_>, error: std::io::Error) -> PyErr {
    let name = match error.kind() {
        std::io::ErrorKind::AddrInUse => Some("EADDRINUSE"),
        std::io::ErrorKind::AddrNotAvailable => Some("EADDRNOTAVAIL"),
        std::io::ErrorKind::PermissionDenied => Some("EACCES"),
        _ => None,
    };
    let errno = error.raw_os_error().or_else(|| {
        let errno = py.import("errno").ok()?;
        errno.getattr(name?).ok()?.extract().ok()
    });
    match errno {
        Some(errno) => PyOSError::new_err((errno, error.to_string())),
        None => PyOSError::new_err(error.to_string()),
    }
}

#[pymodule]
fn _native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(serve, module)?)?;
    module.add_function(wrap_pyfunction!(main, module)?)?;
    module.add_function(wrap_pyfunction!(_forward_logs, module)?)?;
    module.add_function(wrap_pyfunction!(_take_logs, module)?)?;
    module.add_function(wrap_pyfunction!(_page_file, module)?)?;
    module.add_function(wrap_pyfunction!(_jpeg, module)?)?;
    module.add_class::<Server>()?;
    module.add_class::<Stream>()?;
    module.add_class::<_DeltaEncoder>()?;
    module.add_function(wrap_pyfunction!(publish_message, module)?)?;
    module.add_function(wrap_pyfunction!(view_message, module)?)?;
    module.add_function(wrap_pyfunction!(quality, module)?)?;
    // The codec's and the server's, so that Python never restates the wire
    // format, its limits or the names a view takes.
    module.add("PROTOCOL_VERSION", wire::VERSION)?;
    module.add("MAX_DIMENSION", framecast_codec::MAX_DIMENSION)?;
    module.add("MAX_FRAME_PIXELS", framecast_codec::MAX_FRAME_PIXELS)?;
    module.add("ACCEPTED", arrays::ACCEPTED)?;
    let colormaps: Vec<&str> = Colormap::ALL
        .iter()
        .map(|colormap| colormap.name())
        .collect();
    module.add("COLORMAPS", PyTuple::new(module.py(), colormaps)?)?;
    let ranges = RangeMode::NAMED.map(RangeMode::name);
    module.add("RANGES", PyTuple::new(module.py(), ranges)?)?;
    Ok(())
}
