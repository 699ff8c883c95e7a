//! Where inside a value something happened.
//!
//! Codec errors carry one of these so that a bad byte deep inside a 10,000
//! element list can be reported as `tasks[3].name` instead of "somewhere".
//! The steps mirror the three kinds tfplugin6 can express, so the protocol
//! layer converts a path into a diagnostic's attribute path step for step.

use std::fmt;

/// One step from a value into one of its parts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathStep {
    /// An object attribute, shown as `.name`.
    Attribute(String),
    /// A map element, shown as `["key"]`.
    Key(String),
    /// A list, set or tuple element by position, shown as `[3]`. Set
    /// elements have no stable position in Terraform; the index is the
    /// position in the encoded stream and is meant for humans.
    Index(i64),
}

/// A sequence of steps from the root value; empty means the root itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Path(Vec<PathStep>);

impl Path {
    /// The root value.
    pub fn root() -> Self {
        Self(Vec::new())
    }

    /// The path to a top-level attribute, where a diagnostic about it points.
    pub fn to(name: impl Into<String>) -> Self {
        Self::root().attribute(name)
    }

    /// The steps, outermost first.
    pub fn steps(&self) -> &[PathStep] {
        &self.0
    }

    /// Whether this is the root value.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// This path extended by an attribute step.
    pub fn attribute(mut self, name: impl Into<String>) -> Self {
        self.0.push(PathStep::Attribute(name.into()));
        self
    }

    /// This path extended by a map key step.
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.0.push(PathStep::Key(key.into()));
        self
    }

    /// This path extended by an index step.
    pub fn index(mut self, index: i64) -> Self {
        self.0.push(PathStep::Index(index));
        self
    }

    /// Codecs build paths while unwinding, innermost step first, so that the
    /// successful path costs nothing; `finish_reversed` puts them in order.
    pub(crate) fn push_outer(&mut self, step: PathStep) {
        self.0.push(step);
    }

    pub(crate) fn finish_reversed(&mut self) {
        self.0.reverse();
    }
}

impl From<Vec<PathStep>> for Path {
    fn from(steps: Vec<PathStep>) -> Self {
        Self(steps)
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            match step {
                PathStep::Attribute(name) if i == 0 => f.write_str(name)?,
                PathStep::Attribute(name) => write!(f, ".{name}")?,
                PathStep::Key(key) => write!(f, "[{key:?}]")?,
                PathStep::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// An error of kind `K` at a place inside a value: what the codecs return.
///
/// Boxed so that results stay small: the codecs recurse, and every frame
/// holds a few of them. Paths are built innermost first while unwinding, so
/// the successful path costs nothing, and put in order once at the top.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathError<K>(Box<Located<K>>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct Located<K> {
    path: Path,
    kind: K,
}

impl<K> PathError<K> {
    /// Where in the value it happened; the root for input-level problems
    /// such as trailing bytes.
    pub fn path(&self) -> &Path {
        &self.0.path
    }

    /// What happened.
    pub fn kind(&self) -> &K {
        &self.0.kind
    }

    /// An error at a path already known, for decoders that build paths on
    /// the way down.
    pub(crate) fn at(path: Path, kind: K) -> Self {
        Self(Box::new(Located { path, kind }))
    }

    /// While unwinding: the same error, one step further out.
    pub(crate) fn within(mut self, step: PathStep) -> Self {
        self.0.path.push_outer(step);
        self
    }

    /// Puts a path built while unwinding in order; once, at the top.
    pub(crate) fn finished(mut self) -> Self {
        self.0.path.finish_reversed();
        self
    }

    /// A finished error, from a value that sits at `step` of a larger one.
    pub(crate) fn under(mut self, step: PathStep) -> Self {
        self.0.path.0.insert(0, step);
        self
    }
}

impl<K> From<K> for PathError<K> {
    fn from(kind: K) -> Self {
        Self::at(Path::root(), kind)
    }
}

impl<K: fmt::Display> fmt::Display for PathError<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Located { path, kind } = &*self.0;
        if path.is_root() {
            write!(f, "{kind}")
        } else {
            write!(f, "{path}: {kind}")
        }
    }
}

impl<K: fmt::Display + fmt::Debug> std::error::Error for PathError<K> {}

/// Usize positions from the codecs become `i64` path indexes; a position
/// beyond `i64::MAX` cannot exist in memory, so saturating is exact in practice.
pub(crate) fn index_step(position: usize) -> PathStep {
    PathStep::Index(i64::try_from(position).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display() {
        let cases = [
            (Path::root(), ""),
            (Path::root().attribute("tasks"), "tasks"),
            (
                Path::root().attribute("tasks").index(3).attribute("name"),
                "tasks[3].name",
            ),
            (Path::root().attribute("tags").key("env"), "tags[\"env\"]"),
            (Path::root().index(0).key("a\"b"), "[0][\"a\\\"b\"]"),
        ];
        for (path, want) in cases {
            assert_eq!(path.to_string(), want);
        }
    }

    #[test]
    fn reversed_building() {
        let mut p = Path::root();
        p.push_outer(PathStep::Attribute("name".into()));
        p.push_outer(index_step(3));
        p.push_outer(PathStep::Attribute("tasks".into()));
        p.finish_reversed();
        assert_eq!(p.to_string(), "tasks[3].name");
        assert!(!p.is_root());
        assert_eq!(p.steps().len(), 3);
    }
}
