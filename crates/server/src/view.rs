//! How a producer asks for its value frames (gray, 16-bit, float) to be
//! shown: a colormap and a value range ([`View`]), given as query
//! parameters of `POST .../frame`, as a JSON message on an ingest
//! connection, or from Python; and the JSON message that tells a viewer.

use std::collections::HashMap;

use framecast_codec::colormap::{Colormap, Range, RangeMode, View};
use serde_json::Value;

/// Largest view message a producer may send, in bytes: one is a few dozen.
pub const MAX_VIEW_MESSAGE_BYTES: usize = 1024;

/// The view of a producer's text message: [`from_json`] of it, after
/// checking its size and that it is JSON.
pub fn from_text(view: View, text: &str) -> Result<View, String> {
    if text.len() > MAX_VIEW_MESSAGE_BYTES {
        return Err(format!(
            "a text message of {} bytes; a producer's text messages are view messages of at most {MAX_VIEW_MESSAGE_BYTES}",
            text.len()
        ));
    }
    let json = serde_json::from_str(text).map_err(|error| {
        format!("a producer's text message is a JSON view message (see PROTOCOL.md): {error}")
    })?;
    from_json(view, &json)
}

/// What the query parameters `colormap`, `range` (`auto`, `frame`,
/// `window`) and `vmin` with `vmax` (a fixed range) change of `view`; the
/// parameters not given keep what it had. An error says what was given and
/// what is accepted.
pub fn from_query(view: View, query: &HashMap<String, String>) -> Result<View, String> {
    let number = |key: &str| -> Result<Option<f64>, String> {
        query
            .get(key)
            .map(|text| {
                text.parse::<f64>()
                    .map_err(|_| format!("{key}={text:?} is not a number"))
            })
            .transpose()
    };
    let (vmin, vmax) = (number("vmin")?, number("vmax")?);
    let (colormap, range) = (query.get("colormap"), query.get("range"));
    change(
        view,
        colormap.map(String::as_str),
        range.map(String::as_str),
        vmin,
        vmax,
    )
}

/// `view` with what is given changed: the colormap by name, the range by
/// name (`auto`, `frame`, `window`) or as `vmin` and `vmax` (both, not with
/// a name). An error says what was given and what is accepted.
pub fn change(
    view: View,
    colormap: Option<&str>,
    range: Option<&str>,
    vmin: Option<f64>,
    vmax: Option<f64>,
) -> Result<View, String> {
    let fixed = match (vmin, vmax) {
        (Some(lo), Some(hi)) => Some(fixed_range(lo, hi)?),
        (None, None) => None,
        _ => return Err("a fixed range needs both vmin and vmax".to_string()),
    };
    let named = range.map(range_named).transpose()?;
    let range = match (named, fixed) {
        (Some(_), Some(_)) => {
            return Err("give range=auto|frame|window or vmin and vmax, not both".to_string())
        }
        (named, fixed) => named.or(fixed).unwrap_or(view.range),
    };
    let colormap = match colormap {
        Some(name) => colormap_named(name)?,
        None => view.colormap,
    };
    Ok(View { colormap, range })
}

/// The view of a producer's JSON message
/// `{"type": "view", "colormap": "viridis", "range": [0, 1]}` (`range`
/// also `"auto"`, `"frame"` or `"window"`); the fields not given keep what
/// `view` had.
pub fn from_json(view: View, message: &Value) -> Result<View, String> {
    let object = message
        .as_object()
        .filter(|object| object.get("type").and_then(Value::as_str) == Some("view"))
        .ok_or("a producer's text message is a JSON object of type \"view\"")?;
    if let Some(key) = object
        .keys()
        .find(|key| !["type", "colormap", "range"].contains(&key.as_str()))
    {
        return Err(format!(
            "a view message has type, colormap and range, not {key:?}"
        ));
    }
    let colormap = match object.get("colormap") {
        None => view.colormap,
        Some(Value::String(name)) => colormap_named(name)?,
        Some(other) => return Err(format!("colormap is a name, not {other}")),
    };
    let range = match object.get("range") {
        None => view.range,
        Some(Value::String(name)) => range_named(name)?,
        Some(Value::Array(pair)) => match pair.as_slice() {
            [lo, hi] => match (lo.as_f64(), hi.as_f64()) {
                (Some(lo), Some(hi)) => fixed_range(lo, hi)?,
                _ => return Err(format!("a range is two numbers, not {lo} and {hi}")),
            },
            _ => return Err(format!("a range is two numbers, not {} values", pair.len())),
        },
        Some(other) => {
            return Err(format!(
                "range is auto, frame, window or [lo, hi], not {other}"
            ))
        }
    };
    Ok(View { colormap, range })
}

/// The text message that tells a viewer how its producer asks for value
/// frames to be shown: `{"type":"view","colormap":"viridis","range":[0,1]}`
/// (a fixed range) or `"range":"auto"` (or `frame`, `window`).
pub fn message(view: View) -> String {
    let range = match view.range {
        RangeMode::Fixed(Range { lo, hi }) => format!("[{lo},{hi}]"),
        mode => format!(r#""{}""#, mode.name()),
    };
    format!(
        r#"{{"type":"view","colormap":"{}","range":{range}}}"#,
        view.colormap
    )
}

fn colormap_named(name: &str) -> Result<Colormap, String> {
    Colormap::from_name(name)
        .ok_or_else(|| format!("no colormap {name:?}; expected {}", Colormap::NAMES))
}

fn range_named(name: &str) -> Result<RangeMode, String> {
    RangeMode::from_name(name).ok_or_else(|| {
        format!("no range {name:?}; expected auto, frame or window (or vmin and vmax)")
    })
}

fn fixed_range(lo: f64, hi: f64) -> Result<RangeMode, String> {
    RangeMode::fixed(lo, hi).filter(|_| lo < hi).ok_or_else(|| {
        format!("a fixed range is two finite numbers, the first the smaller, not {lo} and {hi}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_query_changes_what_it_names() {
        let view = View::default();
        let viridis = from_query(view, &query(&[("colormap", "viridis")])).unwrap();
        assert_eq!(
            viridis,
            View {
                colormap: Colormap::Viridis,
                range: RangeMode::Auto
            }
        );
        let fixed = from_query(viridis, &query(&[("vmin", "-1"), ("vmax", "2.5")])).unwrap();
        assert_eq!(fixed.colormap, Colormap::Viridis);
        assert_eq!(fixed.range, RangeMode::Fixed(Range { lo: -1.0, hi: 2.5 }));
        assert_eq!(from_query(fixed, &query(&[])).unwrap(), fixed);
        let window = from_query(fixed, &query(&[("range", "window")])).unwrap();
        assert_eq!(window.range, RangeMode::Window);
        for (bad, says) in [
            (&[("colormap", "jet")][..], "expected gray, viridis"),
            (&[("vmin", "0")][..], "needs both vmin and vmax"),
            (&[("vmin", "1"), ("vmax", "0")][..], "the first the smaller"),
            (
                &[("vmin", "x"), ("vmax", "1")][..],
                "vmin=\"x\" is not a number",
            ),
            (
                &[("range", "frame"), ("vmin", "0"), ("vmax", "1")][..],
                "not both",
            ),
            (&[("range", "all")][..], "no range \"all\""),
        ] {
            let error = from_query(view, &query(bad)).unwrap_err();
            assert!(error.contains(says), "{bad:?}: {error}");
        }
    }

    #[test]
    fn json_round_trips_through_the_viewers_message() {
        for view in [
            View {
                colormap: Colormap::Magma,
                range: RangeMode::Fixed(Range {
                    lo: 0.5,
                    hi: 4095.0,
                }),
            },
            View {
                colormap: Colormap::Coolwarm,
                range: RangeMode::Frame,
            },
        ] {
            let json: Value = serde_json::from_str(&message(view)).unwrap();
            assert_eq!(from_json(View::default(), &json).unwrap(), view);
        }
        let error = from_json(
            View::default(),
            &serde_json::json!({"type": "view", "range": [1]}),
        )
        .unwrap_err();
        assert!(error.contains("two numbers"), "{error}");
        let error = from_json(View::default(), &serde_json::json!({"type": "hello"})).unwrap_err();
        assert!(error.contains("of type \"view\""), "{error}");
        let error = from_json(
            View::default(),
            &serde_json::json!({"type": "view", "cmap": "x"}),
        )
        .unwrap_err();
        assert!(error.contains("not \"cmap\""), "{error}");
        let long = format!(
            r#"{{"type":"view","colormap":"{}"}}"#,
            "x".repeat(MAX_VIEW_MESSAGE_BYTES)
        );
        let error = from_text(View::default(), &long).unwrap_err();
        assert!(error.contains("at most 1024"), "{error}");
        let error = from_text(View::default(), "frames please").unwrap_err();
        assert!(error.contains("JSON view message"), "{error}");
    }
}
