//! Diagnostics: the only way a provider talks to the person running
//! Terraform. Each carries a severity, a short summary, a detail that says
//! what to do, and optionally the attribute it is about, so Terraform can
//! underline the offending line of configuration.

/// How bad it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Stops the operation.
    Error,
    /// Shown, but the operation continues.
    Warning,
}

/// A path from the root of a configuration object to one value in it: the
/// codecs' own path type, so a decoding error points at the attribute as is.
pub use super::cty::{Path as AttributePath, PathStep};

/// A message for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// One line, shown in bold.
    pub summary: String,
    /// What happened and what to do about it.
    pub detail: String,
    /// The attribute it is about, if any.
    pub attribute: Option<AttributePath>,
}

impl Diagnostic {
    /// An error not tied to an attribute.
    pub fn error(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            summary: summary.into(),
            detail: detail.into(),
            attribute: None,
        }
    }

    /// A warning not tied to an attribute.
    pub fn warning(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(summary, detail)
        }
    }

    /// The same diagnostic, pointing at `path`.
    pub fn at(mut self, path: AttributePath) -> Self {
        self.attribute = Some(path);
        self
    }
}

/// An ordered collection of diagnostics with the queries callers need.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// No diagnostics.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    /// Adds all of `other`.
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    /// Whether any is an error, i.e. the operation failed.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }

    /// Whether there are none at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Iterates in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Self(vec![d])
    }
}

impl FromIterator<Diagnostic> for Diagnostics {
    fn from_iter<T: IntoIterator<Item = Diagnostic>>(iter: T) -> Self {
        Self(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_render_like_terraform_addresses() {
        assert_eq!(AttributePath::default().to_string(), "");
        assert_eq!(AttributePath::to("ids").to_string(), "ids");
        assert_eq!(AttributePath::to("ids").index(2).to_string(), "ids[2]");
        assert_eq!(
            AttributePath::to("tags")
                .key("env")
                .attribute("x")
                .to_string(),
            "tags[\"env\"].x"
        );
    }

    #[test]
    fn error_detection() {
        let mut d = Diagnostics::new();
        assert!(!d.has_errors() && d.is_empty());
        d.push(Diagnostic::warning("w", ""));
        assert!(!d.has_errors());
        d.push(Diagnostic::error("e", "").at(AttributePath::to("a")));
        assert!(d.has_errors());
        assert_eq!(d.iter().count(), 2);
    }
}
