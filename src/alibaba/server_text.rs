//! Text that came from the server (error codes, messages, RequestIds) is data, never markup:
//! before it reaches a diagnostic or a log line, the values we sent that must stay secret are
//! masked in every encoding the server might quote them in, control characters are written as
//! visible escapes (`\n`, `\u{1b}`: no ANSI sequence, BEL or line of its own reaches a
//! terminal, and what the server sent stays readable), and the text is cut to a few hundred
//! characters (a 20 MB message stays out of Terraform's output).

use base64::Engine as _;

use super::signing::{percent_encode, redact_server_text};

/// Longest server string shown, in characters.
pub const MAX_SERVER_TEXT_CHARS: usize = 300;

const MASK: &str = "<redacted>";

/// Secrets shorter than this are not searched for: masking every "ab" in a message would hide
/// more than it protects (real signatures, secrets and tokens are far longer).
const MIN_SECRET_LEN: usize = 6;

/// The secret values of one request (signature, access key secret, STS token), in every
/// spelling a server could quote them in.
#[derive(Clone, Default)]
pub struct Secrets {
    spellings: Vec<String>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secrets({} spellings)", self.spellings.len())
    }
}

impl Secrets {
    /// The spellings of `values`: raw, percent-encoded once and twice (lower-case hex too), as
    /// form encoding writes spaces, JSON-escaped, and base64 (standard and URL-safe, with and
    /// without padding).
    pub fn new<'a>(values: impl IntoIterator<Item = &'a str>) -> Self {
        let mut spellings = Vec::new();
        for value in values.into_iter().filter(|v| v.len() >= MIN_SECRET_LEN) {
            let once = percent_encode(value);
            let twice = percent_encode(&once);
            let json = serde_json::to_string(value).unwrap_or_default();
            let json = json.trim_matches('"').to_string();
            let b64 = base64::engine::general_purpose::STANDARD;
            let b64_url = base64::engine::general_purpose::URL_SAFE;
            spellings.extend([
                value.to_string(),
                once.to_lowercase_hex(),
                once.clone(),
                twice.clone(),
                percent_encode(&once.to_lowercase_hex()),
                once.replace("%20", "+"),
                json.clone(),
                json.replace('/', "\\/"),
                b64.encode(value),
                b64.encode(value).trim_end_matches('=').to_string(),
                b64_url.encode(value),
                b64_url.encode(value).trim_end_matches('=').to_string(),
            ]);
        }
        spellings.retain(|s| s.len() >= MIN_SECRET_LEN);
        // Longest first, so a spelling that contains another is masked whole.
        spellings.sort_by_key(|s| std::cmp::Reverse(s.len()));
        spellings.dedup();
        Secrets { spellings }
    }

    /// `text` with every spelling masked.
    fn mask(&self, text: &str) -> String {
        let mut out = text.to_string();
        for spelling in &self.spellings {
            if out.contains(spelling.as_str()) {
                out = out.replace(spelling.as_str(), MASK);
            }
        }
        out
    }
}

trait LowercaseHex {
    fn to_lowercase_hex(&self) -> String;
}

impl LowercaseHex for String {
    /// `%2F` as `%2f`: some servers re-encode with lower-case hex digits.
    fn to_lowercase_hex(&self) -> String {
        let mut out = String::with_capacity(self.len());
        let mut chars = self.chars().peekable();
        while let Some(c) = chars.next() {
            out.push(c);
            if c == '%' {
                for _ in 0..2 {
                    if let Some(h) = chars.next() {
                        out.push(h.to_ascii_lowercase());
                    }
                }
            }
        }
        out
    }
}

/// Server text ready to show: secrets masked (by value, and by the names of secret parameters
/// whatever follows them), control characters escaped, cut to [`MAX_SERVER_TEXT_CHARS`]
/// characters with an ellipsis.
pub fn clean(text: &str, secrets: &Secrets) -> String {
    // Only a bounded prefix can be shown, so only that is searched (a 20 MB message would
    // otherwise be copied by every pass); the margin keeps a secret that straddles the cut whole.
    let prefix: String = text.chars().take(MAX_SERVER_TEXT_CHARS + 4096).collect();
    let masked = redact_server_text(&secrets.mask(&prefix));
    let mut out = String::new();
    for (count, c) in masked.chars().enumerate() {
        if count == MAX_SERVER_TEXT_CHARS {
            out.push('…');
            break;
        }
        if c.is_control() || is_bidi_control(c) {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out
}

/// Characters that reorder what a terminal shows (a "Trojan Source" line).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIGNATURE: &str = "OLeaidS1Jv/xuMvn+yHOwuJ+uX5qY=";
    const TOKEN: &str = "CAIS8gF1q6Ft5B2yfSjIr5";

    fn secrets() -> Secrets {
        Secrets::new([SIGNATURE, TOKEN, "ab"])
    }

    #[test]
    fn secrets_are_masked_in_every_encoding() {
        let b64 = base64::engine::general_purpose::STANDARD.encode(TOKEN);
        let once = percent_encode(SIGNATURE);
        let twice = percent_encode(&once);
        for text in [
            format!("sig {SIGNATURE} end"),
            format!("sig {once} end"),
            format!(
                "sig {} end",
                once.replace("%2F", "%2f")
                    .replace("%2B", "%2b")
                    .replace("%3D", "%3d")
            ),
            format!("sig {twice} end"),
            format!(r#"{{"Signature":"{}"}}"#, SIGNATURE.replace('/', "\\/")),
            format!("token in base64 {b64}"),
            format!("Signature: {SIGNATURE}"),
            format!("Signature = {}", &SIGNATURE[..10]),
        ] {
            let out = clean(&text, &secrets());
            assert!(
                !out.contains(SIGNATURE) && !out.contains(&once) && !out.contains(&b64),
                "{out}"
            );
            assert!(!out.contains(&SIGNATURE[..10]), "{text} -> {out}");
            assert!(out.contains(MASK), "{text} -> {out}");
        }
        // Too short to be one of our secrets: left alone.
        assert_eq!(clean("ab cd", &secrets()), "ab cd");
    }

    #[test]
    fn control_characters_are_escaped_and_long_text_is_cut() {
        let out = clean(
            "red \u{1b}[31mALERT\u{7}\nApply complete!\r\u{202e}x",
            &Secrets::default(),
        );
        assert_eq!(out, r"red \u{1b}[31mALERT\u{7}\nApply complete!\r\u{202e}x");
        let long = clean(&"x".repeat(20 << 20), &Secrets::default());
        assert_eq!(long.chars().count(), MAX_SERVER_TEXT_CHARS + 1);
        assert!(long.ends_with('…'));
    }
}
