//! `POST /collect`: one GA-style JSON event, a JSON array of them, or newline-delimited JSON.
//! Each event becomes its own envelope (the enricher maps one object per record), so a batch
//! is split here, without re-serialising: every event keeps its exact bytes.

use super::Rejection;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use std::borrow::Cow;

/// Limits on bodies.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    /// Events per request.
    pub max_events: usize,
}

/// How the body is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// `application/json` (or `text/plain` from `navigator.sendBeacon`, or no type): one
    /// object or an array of objects.
    Json,
    /// `application/x-ndjson`: one object per line.
    NdJson,
}

/// The framing a `Content-Type` announces, or 415.
pub fn framing(content_type: Option<&str>) -> Result<Framing, Rejection> {
    let Some(ct) = content_type else {
        return Ok(Framing::Json);
    };
    let mime = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match mime.as_str() {
        "application/json" | "text/plain" | "" => Ok(Framing::Json),
        "application/x-ndjson" | "application/ndjson" | "application/jsonl" => Ok(Framing::NdJson),
        _ => Err(Rejection::new(
            415,
            "content type must be application/json or application/x-ndjson",
        )),
    }
}

/// One accepted event: its byte range in the body and its site (for per-visitor keys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectEvent {
    /// Exact bytes of the JSON object within the body.
    pub range: std::ops::Range<usize>,
    /// `dh`, or the host of `dl`, when present.
    pub domain: Option<String>,
}

/// The fields the collector insists on; everything else passes through untouched.
#[derive(Deserialize)]
struct Required<'a> {
    #[serde(borrow)]
    cid: Option<&'a RawValue>,
    #[serde(borrow)]
    t: Option<Cow<'a, str>>,
    #[serde(borrow)]
    dh: Option<Cow<'a, str>>,
    #[serde(borrow)]
    dl: Option<Cow<'a, str>>,
}

fn check_event(raw: &str, n: usize) -> Result<Option<String>, Rejection> {
    let at = |what: &str| Rejection::new(422, format!("event {n}: {what}"));
    if !raw.trim_start().starts_with('{') {
        return Err(at("not a JSON object"));
    }
    let r: Required<'_> =
        serde_json::from_str(raw).map_err(|e| Rejection::new(422, format!("event {n}: {e}")))?;
    let cid_ok = r.cid.is_some_and(|c| {
        matches!(serde_json::from_str::<Value>(c.get()), Ok(Value::String(s)) if !s.trim().is_empty())
            || matches!(serde_json::from_str::<Value>(c.get()), Ok(Value::Number(_)))
    });
    if !cid_ok {
        return Err(at("missing cid (client id)"));
    }
    if r.t.as_deref().is_none_or(|t| t.trim().is_empty()) {
        return Err(at("missing t (hit type)"));
    }
    let domain = match (r.dh, r.dl) {
        (Some(dh), _) if !dh.trim().is_empty() => Some(dh.trim().to_ascii_lowercase()),
        (_, Some(dl)) => dl
            .split_once("://")
            .map(|(_, rest)| {
                rest.split(['/', '?', '#', ':'])
                    .next()
                    .unwrap_or("")
                    .to_ascii_lowercase()
            })
            .filter(|h| !h.is_empty()),
        _ => None,
    };
    if domain.as_ref().is_some_and(|d| d.len() > 200) {
        return Err(at("hostname longer than 200 bytes"));
    }
    Ok(domain)
}

/// Byte offset of `inner` inside `outer` (both from the same buffer).
fn offset(outer: &str, inner: &str) -> usize {
    (inner.as_ptr() as usize).saturating_sub(outer.as_ptr() as usize)
}

/// Splits and validates a body into events.
pub fn split_events(
    body: &[u8],
    framing: Framing,
    limits: BodyLimits,
) -> Result<Vec<CollectEvent>, Rejection> {
    let text = std::str::from_utf8(body).map_err(|e| {
        Rejection::new(
            400,
            format!("body is not valid UTF-8 (at byte {})", e.valid_up_to()),
        )
    })?;
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(Rejection::new(400, "empty body"));
    }
    let mut raws: Vec<&str> = Vec::new();
    match framing {
        Framing::Json if trimmed.starts_with('[') => {
            let items: Vec<&RawValue> = serde_json::from_str(trimmed)
                .map_err(|e| Rejection::new(400, format!("malformed JSON: {e}")))?;
            raws.extend(items.iter().map(|r| r.get()));
        }
        Framing::Json => {
            let item: &RawValue = serde_json::from_str(trimmed)
                .map_err(|e| Rejection::new(400, format!("malformed JSON: {e}")))?;
            raws.push(item.get());
        }
        Framing::NdJson => {
            for (i, line) in trimmed.lines().enumerate() {
                let line = line.trim();
                if line.is_empty() {
                    continue;
                }
                let item: &RawValue = serde_json::from_str(line).map_err(|e| {
                    Rejection::new(400, format!("malformed JSON on line {}: {e}", i + 1))
                })?;
                raws.push(item.get());
            }
        }
    }
    if raws.is_empty() {
        return Err(Rejection::new(400, "no event in the batch"));
    }
    if raws.len() > limits.max_events {
        return Err(Rejection::new(
            413,
            format!(
                "{} events in one request; at most {}",
                raws.len(),
                limits.max_events
            ),
        ));
    }
    raws.iter()
        .enumerate()
        .map(|(n, raw)| {
            let domain = check_event(raw, n)?;
            let start = offset(text, raw);
            Ok(CollectEvent {
                range: start..start + raw.len(),
                domain,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: BodyLimits = BodyLimits { max_events: 3 };
    const PV: &str =
        r#"{"v":1,"t":"pageview","cid":"555.1","dl":"https://Shop.example/a?b=1","dt":"A"}"#;

    fn run(body: &str, f: Framing) -> Result<Vec<(String, Option<String>)>, (u16, String)> {
        split_events(body.as_bytes(), f, LIMITS)
            .map(|v| {
                v.into_iter()
                    .map(|e| (body[e.range].to_string(), e.domain))
                    .collect()
            })
            .map_err(|r| (r.status, r.reason))
    }

    #[test]
    fn single_array_and_ndjson_keep_each_event_verbatim() {
        let one = run(PV, Framing::Json).unwrap();
        assert_eq!(
            one,
            vec![(PV.to_string(), Some("shop.example".to_string()))]
        );
        let second = r#"{"t":"event","cid":7,"dh":"b.example","ec":"x"}"#;
        let arr = format!(" [ {PV} ,\n{second} ] ");
        let got = run(&arr, Framing::Json).unwrap();
        assert_eq!(got[0].0, PV);
        assert_eq!(got[1], (second.to_string(), Some("b.example".to_string())));
        let nd = format!("{PV}\n\n{second}\n");
        assert_eq!(run(&nd, Framing::NdJson).unwrap().len(), 2);
    }

    #[test]
    fn every_bad_input_class_has_its_status() {
        // (body, framing, status, reason prefix)
        let cases: &[(&str, Framing, u16, &str)] = &[
            ("", Framing::Json, 400, "empty body"),
            ("{\"t\":", Framing::Json, 400, "malformed JSON"),
            ("[]", Framing::Json, 400, "no event"),
            ("[1,2]", Framing::Json, 422, "event 0: not a JSON object"),
            ("\"text\"", Framing::Json, 422, "event 0: not a JSON object"),
            (
                r#"{"t":"pageview"}"#,
                Framing::Json,
                422,
                "event 0: missing cid",
            ),
            (
                r#"{"t":"pageview","cid":" "}"#,
                Framing::Json,
                422,
                "event 0: missing cid",
            ),
            (
                r#"{"t":"pageview","cid":null}"#,
                Framing::Json,
                422,
                "event 0: missing cid",
            ),
            (r#"{"cid":"1"}"#, Framing::Json, 422, "event 0: missing t"),
            (
                r#"{"cid":"1","t":5}"#,
                Framing::Json,
                422,
                "event 0: invalid type",
            ),
            (
                "[{\"cid\":\"1\",\"t\":\"a\"},{\"cid\":\"1\"}]",
                Framing::Json,
                422,
                "event 1: missing t",
            ),
            ("[{},{},{},{}]", Framing::Json, 413, "4 events"),
            (
                "{\"cid\":\"1\",\"t\":\"a\"}\n{oops",
                Framing::NdJson,
                400,
                "malformed JSON on line 2",
            ),
        ];
        for (body, f, status, prefix) in cases {
            let (s, reason) = run(body, *f).unwrap_err();
            assert_eq!(s, *status, "{body}: {reason}");
            assert!(reason.starts_with(prefix), "{body}: {reason}");
        }
        let bad_utf8 = split_events(b"{\"cid\":\"\xff\"}", Framing::Json, LIMITS).unwrap_err();
        assert_eq!(bad_utf8.status, 400);
        assert!(bad_utf8.reason.contains("UTF-8"));
    }

    #[test]
    fn content_types() {
        assert_eq!(framing(None), Ok(Framing::Json));
        assert_eq!(
            framing(Some("application/json; charset=utf-8")),
            Ok(Framing::Json)
        );
        assert_eq!(framing(Some("text/plain;charset=UTF-8")), Ok(Framing::Json));
        assert_eq!(framing(Some("application/x-ndjson")), Ok(Framing::NdJson));
        assert_eq!(framing(Some("image/png")).unwrap_err().status, 415);
    }
}
