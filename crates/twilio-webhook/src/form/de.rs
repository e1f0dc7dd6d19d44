//! A `serde` [`Deserializer`] over a [`Form`]'s borrowed pairs, with `serde_html_form`'s
//! rules, so the verified pairs are read as a `T` without parsing the body a second time.
//!
//! The rules (the same results as `serde_html_form` 0.4, held to it by a property test):
//!
//! - The form is a map of its names in first-appearance order; a name's values are all its
//!   pairs' values in received order. Structs, maps and `deserialize_any` (`flatten`,
//!   untagged enums) read that map; unknown names are skipped unless the struct denies them.
//! - A sequence (`Vec<T>`, …) takes all the values of its name, one value being a sequence of
//!   one. Any other type from a name that came more than once is an error
//!   (`unsupported value`); `deserialize_any` of a repeated name gives a sequence of strings.
//!   A tuple or array field is not a sequence there: it never reads.
//! - Numbers are parsed from their text with `str::parse` (an error otherwise, an empty
//!   value too); `bool` is `true` or `on` for true and `false` for false, anything else an
//!   error; a `char` is a one-character value; a unit-variant enum is read from its name.
//! - `Option<T>`: a missing name is `None`; an empty value is `None` when `T` is a `bool`, a
//!   number or a `NonZero*` (as `serde_html_form`, by the type's identity), and `Some` of
//!   the empty text otherwise (`Option<String>` gives `Some("")`).
//! - At the top level a sequence is read from the pairs themselves, in received order,
//!   repeats kept (`Vec<(String, String)>`), and `()` only from no pairs at all.
//! - `i128`/`u128` are not supported (an error), as there.
//!
//! Grouping a form of up to 64 pairs costs no allocation: the next name that has not come
//! before is found with a 128-bit filter of the names seen so far (a name whose bit is clear
//! is new for sure; only a set bit costs a look back), and whether a name repeats is looked
//! up only when its value is read, not when it is skipped. A larger form is grouped through
//! links made in one pass (which pairs share a name), so even a 64 KiB body of distinct names
//! reads in linear time.
//!
//! ```
//! use twilio_webhook::form::Form;
//! #[derive(serde::Deserialize, Debug, PartialEq)]
//! struct Sms {
//!     #[serde(rename = "Body")]
//!     body: String,
//!     #[serde(rename = "NumMedia")]
//!     num_media: u8,
//!     #[serde(rename = "MediaUrl", default)]
//!     media: Vec<String>,
//! }
//! let form = Form::parse(b"Body=Hi&NumMedia=2&MediaUrl=a&To=%2B1&MediaUrl=b").unwrap();
//! let sms: Sms = form.deserialize().unwrap();
//! assert_eq!(sms, Sms { body: "Hi".into(), num_media: 2, media: vec!["a".into(), "b".into()] });
//! ```

use std::collections::HashMap;
use std::rc::Rc;

use serde::de::value::{Error, MapDeserializer, SeqDeserializer, StrDeserializer};
use serde::de::{self, Error as _, IntoDeserializer, Unexpected, Visitor};
use serde::forward_to_deserialize_any;

use super::Form;

/// Deserializes a [`Form`]'s pairs (see the [module](self) for the rules): what
/// [`Form::deserialize`] uses.
#[derive(Debug, Clone, Copy)]
pub struct Deserializer<'de> {
    form: &'de Form,
}

impl<'de> Deserializer<'de> {
    /// A deserializer of `form`'s pairs.
    pub fn new(form: &'de Form) -> Self {
        Deserializer { form }
    }

    fn groups(self) -> MapDeserializer<'de, Groups<'de>, Error> {
        MapDeserializer::new(Groups {
            form: self.form,
            next: 0,
            seen: 0,
            links: (self.form.len() > LOOK_BACK_MAX).then(|| links(self.form)),
        })
    }
}

/// Up to this many pairs, a name's earlier and later pairs are found by looking through the
/// form (at most a few thousand comparisons); above it, through [`links`] made once, so a
/// large form of distinct names costs linear time, not quadratic.
const LOOK_BACK_MAX: usize = 64;

/// Per pair: whether its name came before, and the next pair with the same name.
#[derive(Clone, Copy)]
struct Link {
    first: bool,
    next_same: Option<usize>,
}

/// The [`Link`]s of every pair, in one pass with a map of each name's latest pair.
fn links(form: &Form) -> Rc<[Link]> {
    let mut links = vec![
        Link {
            first: true,
            next_same: None,
        };
        form.len()
    ];
    let mut latest: HashMap<&str, usize> = HashMap::with_capacity(form.len());
    for (index, (name, _)) in form.iter().enumerate() {
        if let Some(previous) = latest.insert(name, index) {
            links[previous].next_same = Some(index);
            links[index].first = false;
        }
    }
    links.into()
}

impl<'de> de::Deserializer<'de> for Deserializer<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_map(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_map(self.groups())
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_map(self.groups())
    }

    /// The pairs themselves, in received order, repeats kept: each element reads one pair
    /// (as a 2-tuple).
    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let pairs = self.form.iter().map(|(n, v)| (Value(n), Value(v)));
        visitor.visit_seq(MapDeserializer::new(pairs))
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.form.len() {
            0 => visitor.visit_unit(),
            n => Err(Error::invalid_length(n, &"0 elements in map")),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 u8 u16 u32 u64 f32 f64 char str string bytes byte_buf option
        unit_struct tuple tuple_struct enum identifier ignored_any
    }
}

/// The distinct names in first-appearance order, each with its values.
struct Groups<'de> {
    form: &'de Form,
    /// The next pair to look at.
    next: usize,
    /// A bit per name fingerprint seen so far: a clear bit means a new name.
    seen: u128,
    /// For a form of more than [`LOOK_BACK_MAX`] pairs, which pairs share a name.
    links: Option<Rc<[Link]>>,
}

impl<'de> Iterator for Groups<'de> {
    type Item = (Value<'de>, Group<'de>);

    fn next(&mut self) -> Option<Self::Item> {
        while let Some(name) = self.form.name(self.next) {
            let index = self.next;
            self.next += 1;
            let repeat = match &self.links {
                Some(links) => links.get(index).is_some_and(|l| !l.first),
                None => {
                    let bit = 1u128 << fingerprint(name);
                    let seen = self.seen & bit != 0;
                    self.seen |= bit;
                    seen && self.form.names(0, index).any(|n| n == name)
                }
            };
            if !repeat {
                let group = Group {
                    form: self.form,
                    index,
                    name,
                    links: self.links.clone(),
                };
                return Some((Value(name), group));
            }
        }
        None
    }
}

/// Which of 128 bits stands for `name`: from its length and its first and last bytes, so
/// equal names share a bit.
fn fingerprint(name: &str) -> u32 {
    let bytes = name.as_bytes();
    let first = u32::from(bytes.first().copied().unwrap_or(0));
    let last = u32::from(bytes.last().copied().unwrap_or(0));
    let len = bytes.len() as u32;
    (len ^ first << 8 ^ last << 16).wrapping_mul(0x9e37_79b1) >> 25
}

/// The values of one name: pair `index`, its first, and any later pairs of the same name
/// (looked at only when the value is read, not when it is skipped).
struct Group<'de> {
    form: &'de Form,
    index: usize,
    name: &'de str,
    /// As in [`Groups`]: set for a large form.
    links: Option<Rc<[Link]>>,
}

impl<'de> Group<'de> {
    /// The only value, if the name came once.
    fn single(&self) -> Result<Value<'de>, Error> {
        let repeats = match &self.links {
            Some(links) => links.get(self.index).is_some_and(|l| l.next_same.is_some()),
            None => {
                let mut later = self.form.names(self.index + 1, self.form.len());
                later.any(|n| n == self.name)
            }
        };
        match repeats {
            false => Ok(Value(self.form.value(self.index))),
            true => Err(Error::custom("unsupported value")),
        }
    }

    fn values(self) -> impl Iterator<Item = Value<'de>> {
        let form = self.form;
        Indices {
            next: Some(self.index),
            group: self,
        }
        .map(move |i| Value(form.value(i)))
    }
}

/// The pair indices of a group's name, in received order: along its links, or by looking
/// through the rest of a small form.
struct Indices<'de> {
    group: Group<'de>,
    next: Option<usize>,
}

impl Iterator for Indices<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        let current = self.next?;
        let g = &self.group;
        self.next = match &g.links {
            Some(links) => links.get(current).and_then(|l| l.next_same),
            None => (current + 1..g.form.len()).find(|&i| g.form.name(i) == Some(g.name)),
        };
        Some(current)
    }
}

impl<'de> IntoDeserializer<'de, Error> for Group<'de> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

/// A method that reads the name's only value, an error if the name repeats.
macro_rules! single_value {
    ($($method:ident $(($($arg:ident: $ty:ty),*))?),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, $($($arg: $ty,)*)? visitor: V) -> Result<V::Value, Error> {
            self.single()?.$method($($($arg,)*)? visitor)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Group<'de> {
    type Error = Error;

    /// One value as a string, several as a sequence of strings.
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.single() {
            Ok(value) => value.deserialize_any(visitor),
            Err(_) => self.deserialize_seq(visitor),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        SeqDeserializer::new(self.values()).deserialize_any(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.single() {
            Ok(value) => value.deserialize_option(visitor),
            Err(_) => visitor.visit_some(self),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    single_value! {
        deserialize_bool, deserialize_char, deserialize_str, deserialize_string,
        deserialize_bytes, deserialize_byte_buf, deserialize_unit,
        deserialize_u8, deserialize_u16, deserialize_u32, deserialize_u64,
        deserialize_i8, deserialize_i16, deserialize_i32, deserialize_i64,
        deserialize_f32, deserialize_f64, deserialize_identifier, deserialize_map,
        deserialize_enum(name: &'static str, variants: &'static [&'static str]),
        deserialize_tuple(len: usize),
        deserialize_struct(name: &'static str, fields: &'static [&'static str]),
        deserialize_unit_struct(name: &'static str),
        deserialize_tuple_struct(name: &'static str, len: usize),
        deserialize_newtype_struct(name: &'static str),
    }
}

/// One name or value.
#[derive(Clone, Copy)]
struct Value<'de>(&'de str);

impl<'de> IntoDeserializer<'de, Error> for Value<'de> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

/// A method that parses the value as a number.
macro_rules! parsed {
    ($($method:ident => $ty:ty, $visit:ident;)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            match self.0.parse::<$ty>() {
                Ok(n) => visitor.$visit(n),
                Err(e) => Err(Error::custom(e)),
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Value<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_borrowed_str(self.0)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.0.is_empty() && empty_is_none::<V::Value>() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            "true" | "on" => visitor.visit_bool(true),
            "false" => visitor.visit_bool(false),
            other => Err(Error::invalid_value(
                Unexpected::Str(other),
                &"\"true\", \"on\" or \"false\"",
            )),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_enum(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    /// A sequence of this one value.
    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_seq(One(Some(self)))
    }

    parsed! {
        deserialize_u8 => u8, visit_u8;
        deserialize_u16 => u16, visit_u16;
        deserialize_u32 => u32, visit_u32;
        deserialize_u64 => u64, visit_u64;
        deserialize_i8 => i8, visit_i8;
        deserialize_i16 => i16, visit_i16;
        deserialize_i32 => i32, visit_i32;
        deserialize_i64 => i64, visit_i64;
        deserialize_f32 => f32, visit_f32;
        deserialize_f64 => f64, visit_f64;
    }

    forward_to_deserialize_any! {
        char str string unit bytes byte_buf unit_struct tuple_struct struct identifier tuple
        ignored_any map
    }
}

/// A value read as an enum: its text names a unit variant.
impl<'de> de::EnumAccess<'de> for Value<'de> {
    type Error = Error;
    type Variant = UnitOnly;

    fn variant_seed<S: de::DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, UnitOnly), Error> {
        let variant = seed.deserialize(StrDeserializer::<Error>::new(self.0))?;
        Ok((variant, UnitOnly))
    }
}

/// The variant named by a value: only a unit variant can be.
struct UnitOnly;

impl<'de> de::VariantAccess<'de> for UnitOnly {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        Ok(())
    }

    fn newtype_variant_seed<S: de::DeserializeSeed<'de>>(self, _: S) -> Result<S::Value, Error> {
        Err(Error::custom("expected unit variant"))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _: usize, _: V) -> Result<V::Value, Error> {
        Err(Error::custom("expected unit variant"))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Error> {
        Err(Error::custom("expected unit variant"))
    }
}

/// A sequence of one value.
struct One<'de>(Option<Value<'de>>);

impl<'de> de::SeqAccess<'de> for One<'de> {
    type Error = Error;

    fn next_element_seed<S: de::DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, Error> {
        self.0.take().map(|v| seed.deserialize(v)).transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(usize::from(self.0.is_some()))
    }
}

/// Whether an empty value read as a `T` (an `Option`) is `None`: for an optional `bool`,
/// number or `NonZero*`, as `serde_html_form` decides by the type's identity. `TypeId` needs
/// `'static`, which `T` need not be; its name is as good here (the names of these standard
/// types are not another type's), and is looked at only for an empty value.
fn empty_is_none<T: ?Sized>() -> bool {
    use std::any::type_name;
    use std::num::{
        NonZeroI8, NonZeroI16, NonZeroI32, NonZeroI64, NonZeroI128, NonZeroIsize, NonZeroU8,
        NonZeroU16, NonZeroU32, NonZeroU64, NonZeroU128, NonZeroUsize,
    };
    let name = type_name::<T>();
    [
        type_name::<Option<bool>>(),
        type_name::<Option<i8>>(),
        type_name::<Option<i16>>(),
        type_name::<Option<i32>>(),
        type_name::<Option<i64>>(),
        type_name::<Option<i128>>(),
        type_name::<Option<isize>>(),
        type_name::<Option<NonZeroI8>>(),
        type_name::<Option<NonZeroI16>>(),
        type_name::<Option<NonZeroI32>>(),
        type_name::<Option<NonZeroI64>>(),
        type_name::<Option<NonZeroI128>>(),
        type_name::<Option<NonZeroIsize>>(),
        type_name::<Option<u8>>(),
        type_name::<Option<u16>>(),
        type_name::<Option<u32>>(),
        type_name::<Option<u64>>(),
        type_name::<Option<u128>>(),
        type_name::<Option<usize>>(),
        type_name::<Option<NonZeroU8>>(),
        type_name::<Option<NonZeroU16>>(),
        type_name::<Option<NonZeroU32>>(),
        type_name::<Option<NonZeroU64>>(),
        type_name::<Option<NonZeroU128>>(),
        type_name::<Option<NonZeroUsize>>(),
        type_name::<Option<f32>>(),
        type_name::<Option<f64>>(),
    ]
    .contains(&name)
}
