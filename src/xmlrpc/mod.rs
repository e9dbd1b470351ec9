//! XML-RPC as Odoo speaks it: the value model, a pull decoder on quick-xml and an encoder.
//! This module knows nothing about Odoo; `odoo` and `sim` build on it.
//!
//! The encoder never emits characters XML 1.0 forbids: it **strips** them (C0 controls other
//! than tab/LF/CR, U+FFFE, U+FFFF), so `decode(encode(v))` gives back `v` with those characters removed.

mod decode;
mod encode;
mod error;
mod float_repr;
mod ids;
mod message;
mod value;

pub use decode::{MAX_DEPTH, decode_call, decode_response, decode_value};
pub use encode::{encode_call, encode_response, encode_value, is_xml_char, strip_forbidden_chars};
pub use error::{DecodeError, DecodeErrorKind, EXCERPT_RADIUS};
pub use ids::{IdsDecoder, IdsResponse, decode_ids};
pub use message::{Fault, FaultCode, MethodCall, MethodResponse};
pub use value::{Struct, Value, base64_encode};
