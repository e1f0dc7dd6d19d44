//! Two generators keep the ~80 element types and ~40 enums uniform: one spelling of each XML
//! name, one place that decides how a value is written.

/// An enumerated attribute value: known spellings as variants plus `Other(String)` for the
/// values Twilio adds after this crate was released.
macro_rules! twiml_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $(#[doc = concat!("`", $s, "`")] $variant,)+
            /// A value this crate does not know (yet), written and kept verbatim.
            Other(String),
        }

        impl $name {
            /// The exact spelling Twilio uses.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $s,)+
                    Self::Other(s) => s,
                }
            }

            #[allow(dead_code)]
            pub(crate) fn into_value(self) -> $crate::twiml::xml::Value {
                match self {
                    $(Self::$variant => $crate::twiml::xml::Value::Static($s),)+
                    Self::Other(s) => $crate::twiml::xml::Value::Text(s),
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $($s => Self::$variant,)+
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                match Self::from(s.as_str()) {
                    Self::Other(_) => Self::Other(s),
                    known => known,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use twiml_enum;

/// One attribute setter; the kind decides the Rust argument type and how it is written.
macro_rules! attr_setter {
    ($setter:ident $xml:literal str) => {
        #[doc = concat!("Sets the `", $xml, "` attribute.")]
        pub fn $setter(mut self, value: impl Into<String>) -> Self {
            self.0.set($xml, $crate::twiml::xml::Value::Text(value.into()));
            self
        }
    };
    ($setter:ident $xml:literal num) => {
        #[doc = concat!("Sets the `", $xml, "` attribute.")]
        pub fn $setter(mut self, value: u32) -> Self {
            self.0.set($xml, $crate::twiml::xml::Value::Number(u64::from(value)));
            self
        }
    };
    ($setter:ident $xml:literal bool) => {
        #[doc = concat!("Sets the `", $xml, "` attribute (`true`/`false`).")]
        pub fn $setter(mut self, value: bool) -> Self {
            let text = if value { "true" } else { "false" };
            self.0.set($xml, $crate::twiml::xml::Value::Static(text));
            self
        }
    };
    ($setter:ident $xml:literal enm $ty:ty) => {
        #[doc = concat!("Sets the `", $xml, "` attribute (a [`", stringify!($ty), "`] or its spelling).")]
        pub fn $setter(mut self, value: impl Into<$ty>) -> Self {
            self.0.set($xml, value.into().into_value());
            self
        }
    };
    ($setter:ident $xml:literal list $ty:ty) => {
        #[doc = concat!("Sets the `", $xml, "` attribute: [`", stringify!($ty), "`] values joined by one space.")]
        pub fn $setter<V: Into<$ty>>(mut self, values: impl IntoIterator<Item = V>) -> Self {
            let joined = $crate::twiml::xml::join(values.into_iter().map(|v| v.into()), |v| v.as_str().to_owned());
            self.0.set($xml, $crate::twiml::xml::Value::Text(joined));
            self
        }
    };
    ($setter:ident $xml:literal nums) => {
        #[doc = concat!("Sets the `", $xml, "` attribute: numbers joined by one space.")]
        pub fn $setter(mut self, values: impl IntoIterator<Item = u32>) -> Self {
            let joined = $crate::twiml::xml::join(values, |v| v.to_string());
            self.0.set($xml, $crate::twiml::xml::Value::Text(joined));
            self
        }
    };
}
pub(crate) use attr_setter;

/// The methods every element has: text, comments, raw attributes and raw children.
macro_rules! common_methods {
    ($name:ident) => {
        impl $name {
            /// Appends a text node (mixed content is allowed: text and children interleave).
            pub fn text(mut self, text: impl Into<String>) -> Self {
                self.0.push_text(text.into());
                self
            }

            /// Appends a `<!-- comment -->` child.
            pub fn comment(mut self, text: impl Into<String>) -> Self {
                self.0.push($crate::twiml::xml::Node::Comment(text.into()));
                self
            }

            /// Sets any attribute by its XML name: the escape hatch for attributes Twilio
            /// adds later. Setting a name twice keeps its first position and the last value.
            pub fn attr(
                mut self,
                name: impl Into<std::borrow::Cow<'static, str>>,
                value: impl Into<String>,
            ) -> Self {
                self.0
                    .set(name, $crate::twiml::xml::Value::Text(value.into()));
                self
            }

            /// Appends any element: the escape hatch for verbs and nouns Twilio adds later.
            /// Any typed element converts into a [`RawElement`](crate::twiml::RawElement), so it
            /// can also be placed where the typed API does not allow it.
            pub fn raw(mut self, element: impl Into<$crate::twiml::RawElement>) -> Self {
                self.0.push($crate::twiml::xml::Node::Element(
                    element.into().into_element(),
                ));
                self
            }

            #[allow(dead_code)]
            pub(crate) fn into_element(self) -> $crate::twiml::xml::Element {
                self.0
            }
        }
    };
}
pub(crate) use common_methods;

/// A typed element: its XML name, its attributes (setter, XML name, kind) and the typed
/// children it accepts (method, type). `text` elements get `new(text)` and `From<&str>`.
macro_rules! element {
    (
        $(#[$m:meta])*
        $name:ident = $xml:literal $(, $text:ident)?;
        attrs { $($setter:ident : $aname:literal $kind:ident $($aty:ty)?),* $(,)? }
        children { $($cm:ident : $cty:ty),* $(,)? }
    ) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name($crate::twiml::xml::Element);

        $crate::twiml::macros::common_methods!($name);

        impl From<$name> for $crate::twiml::RawElement {
            fn from(value: $name) -> Self {
                $crate::twiml::RawElement::from_element(value.0)
            }
        }
        $crate::twiml::macros::element!(@ctor $name $xml $($text)?);

        impl $name {
            $($crate::twiml::macros::attr_setter!($setter $aname $kind $($aty)?);)*

            $(
                #[doc = concat!("Appends a [`", stringify!($cty), "`] child.")]
                // Method names mirror the XML (`sub` is SSML's `<sub>`, not subtraction).
                #[allow(clippy::should_implement_trait)]
                pub fn $cm(mut self, child: impl Into<$cty>) -> Self {
                    self.0.push($crate::twiml::xml::Node::Element(child.into().into_element()));
                    self
                }
            )*
        }
    };
    (@ctor $name:ident $xml:literal) => {
        impl $name {
            #[doc = concat!("An empty `<", $xml, ">`.")]
            pub fn new() -> Self {
                Self($crate::twiml::xml::Element::new($xml))
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }
    };
    (@ctor $name:ident $xml:literal text) => {
        impl $name {
            #[doc = concat!("A `<", $xml, ">` holding `text`.")]
            pub fn new(text: impl Into<String>) -> Self {
                Self::empty().text(text)
            }

            #[doc = concat!("A `<", $xml, ">` with no text yet (add children or text later).")]
            pub fn empty() -> Self {
                Self($crate::twiml::xml::Element::new($xml))
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                Self::new(text)
            }
        }

        impl From<String> for $name {
            fn from(text: String) -> Self {
                Self::new(text)
            }
        }
    };
}
pub(crate) use element;
