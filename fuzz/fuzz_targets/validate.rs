#![no_main]
//! (url, form body, header): validation never panics; a header the validator accepts is the
//! signature of one of the URL's forms; and a request signed by us always validates.

use libfuzzer_sys::fuzz_target;
use twilio_webhook::url::url_forms;
use twilio_webhook::{Key, KeySet, KeyStore, Validator};

#[derive(arbitrary::Arbitrary, Debug)]
struct Input<'a> {
    url: &'a str,
    body: &'a [u8],
    header: &'a str,
}

fuzz_target!(|input: Input<'_>| {
    let Ok(key) = Key::auth_token("fuzz", "fuzz-token") else { return };
    let validator = Validator::new(KeyStore::single(KeySet::from(key.clone())));
    let pairs: Vec<(String, String)> = form_urlencoded::parse(input.body).into_owned().collect();
    let params = || pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()));

    // Arbitrary header: whatever validates must re-sign to the same header.
    if let Ok(verified) = validator.validate_params(input.url, params(), Some(input.header))
        && verified.sort_order() == twilio_webhook::SortOrder::CodePoint
    {
        let resigned = url_forms(input.url)
            .filter(|(form, _)| *form == verified.url_form())
            .map(|(_, url)| key.sign(&url, params()))
            .next();
        assert_eq!(resigned.as_deref(), Some(input.header));
    }

    // Our own signature always validates, on the URL as received.
    let signature = key.sign(input.url, params());
    let verified = validator
        .validate_params(input.url, params(), Some(&signature))
        .expect("own signature must validate");
    assert_eq!(verified.url_form(), twilio_webhook::url::UrlForm::AS_RECEIVED);

    // Raw-body mode never panics either.
    let _ = validator.validate_body(input.url, input.body, Some(input.header));
});
