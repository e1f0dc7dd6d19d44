//! TwiML: the literal expected strings of the SDK test suites (spec/twiml.md §6), byte for
//! byte, then escaping and forbidden characters, then the parser round-trip properties.

use proptest::prelude::*;
use twilio_webhook::twiml::ssml::{Lang, SayAs, SayAsInterpretAs};
use twilio_webhook::twiml::*;

const DECL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

fn doc(body: &str) -> String {
    format!("{DECL}{body}")
}

// ---- twilio-node goldens ----

#[test]
fn empty_responses() {
    let expected = r#"<?xml version="1.0" encoding="UTF-8"?><Response/>"#;
    assert_eq!(MessagingResponse::new().to_xml().unwrap(), expected);
    assert_eq!(VoiceResponse::new().to_xml().unwrap(), expected);
}

#[test]
fn node_message_with_to_and_from() {
    let xml = MessagingResponse::new()
        .message(Message::new("foobar").to("18885551234").from("18885554321"))
        .to_xml()
        .unwrap();
    assert_eq!(
        xml,
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Message to="18885551234" from="18885554321">foobar</Message></Response>"#
    );
}

#[test]
fn node_message_with_body_and_media() {
    let xml = MessagingResponse::new()
        .message(Message::empty().body("foobar").media("https://twilio.com"))
        .to_xml()
        .unwrap();
    assert_eq!(
        xml,
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Message><Body>foobar</Body><Media>https://twilio.com</Media></Message></Response>"#
    );
}

#[test]
fn node_messaging_redirect() {
    let xml = MessagingResponse::new()
        .redirect("https://twilio.com")
        .to_xml()
        .unwrap();
    assert_eq!(
        xml,
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Redirect>https://twilio.com</Redirect></Response>"#
    );
}

#[test]
fn node_dial_with_attributes() {
    let xml = VoiceResponse::new()
        .dial(
            Dial::new("+18584611234")
                .hangup_on_star(true)
                .timeout(5)
                .method(Method::Get)
                .trim(Trim::DoNotTrim),
        )
        .to_xml()
        .unwrap();
    assert_eq!(
        xml,
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Dial hangupOnStar="true" timeout="5" method="GET" trim="do-not-trim">+18584611234</Dial></Response>"#
    );
}

#[test]
fn node_dial_sip() {
    let xml = VoiceResponse::new()
        .dial(
            Dial::empty().hangup_on_star(true).sip(
                Sip::new("sip:url")
                    .method("GET")
                    .status_callback("www.twilio.ca"),
            ),
        )
        .to_xml()
        .unwrap();
    assert_eq!(
        xml,
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Dial hangupOnStar="true"><Sip method="GET" statusCallback="www.twilio.ca">sip:url</Sip></Dial></Response>"#
    );
}

#[test]
fn node_gather_with_say() {
    let xml = VoiceResponse::new()
        .gather(
            Gather::new()
                .timeout(5)
                .finish_on_key("abcd")
                .say(Say::new("hello world!").loop_(2)),
        )
        .to_xml()
        .unwrap();
    assert_eq!(
        xml,
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Gather timeout="5" finishOnKey="abcd"><Say loop="2">hello world!</Say></Gather></Response>"#
    );
}

#[test]
fn node_hangup() {
    let xml = VoiceResponse::new().hangup(Hangup::new()).to_xml().unwrap();
    assert_eq!(
        xml,
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Hangup/></Response>"#
    );
    assert_eq!(VoiceResponse::new().hangup_now().to_xml().unwrap(), xml);
}

#[test]
fn node_pause() {
    let xml = VoiceResponse::new()
        .pause(Pause::new().length(5))
        .to_xml()
        .unwrap();
    assert_eq!(
        xml,
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Pause length="5"/></Response>"#
    );
    assert_eq!(
        VoiceResponse::new()
            .pause(Pause::seconds(5))
            .to_xml()
            .unwrap(),
        xml
    );
}

#[test]
fn node_record() {
    let xml = VoiceResponse::new()
        .record(
            Record::new()
                .transcribe(true)
                .max_length(100)
                .method(Method::Get)
                .transcribe_callback("www.twilio.ca"),
        )
        .to_xml()
        .unwrap();
    assert_eq!(
        xml,
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Record transcribe="true" maxLength="100" method="GET" transcribeCallback="www.twilio.ca"/></Response>"#
    );
}

#[test]
fn node_reject_busy() {
    let xml = VoiceResponse::new()
        .reject(Reject::new().reason(RejectReason::Busy))
        .to_xml()
        .unwrap();
    assert_eq!(
        xml,
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Reject reason="busy"/></Response>"#
    );
}

#[test]
fn node_enqueue_task() {
    let xml = VoiceResponse::new()
        .enqueue(
            Enqueue::empty()
                .method(Method::Post)
                .task(Task::new("foo").priority(1).timeout(4)),
        )
        .to_xml()
        .unwrap();
    assert_eq!(
        xml,
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Enqueue method="POST"><Task priority="1" timeout="4">foo</Task></Enqueue></Response>"#
    );
}

#[test]
fn node_nested_verbs() {
    let xml = VoiceResponse::new()
        .dial(Dial::empty().timeout(5).number("+11234567890"))
        .reject(Reject::new())
        .redirect("www.twilio.com")
        .pause(Pause::new().length(5))
        .to_xml()
        .unwrap();
    assert_eq!(
        xml,
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Dial timeout="5"><Number>+11234567890</Number></Dial><Reject/><Redirect>www.twilio.com</Redirect><Pause length="5"/></Response>"#
    );
}

#[test]
fn node_ssml_say_as_with_raw_attribute() {
    // The node suite sets `role`, which <say-as> does not type: the raw-attribute hatch.
    let xml = VoiceResponse::new()
        .say(
            Say::empty().say_as(
                SayAs::new("Words to speak")
                    .interpret_as(SayAsInterpretAs::SpellOut)
                    .attr("role", "yymmdd"),
            ),
        )
        .to_xml()
        .unwrap();
    assert_eq!(
        xml,
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Say><say-as interpret-as="spell-out" role="yymmdd">Words to speak</say-as></Say></Response>"#
    );
}

#[test]
fn node_ssml_lang() {
    let xml = VoiceResponse::new()
        .say(Say::empty().lang(Lang::new("Bonjour!").xml_lang(Language::FrFr)))
        .to_xml()
        .unwrap();
    assert_eq!(
        xml,
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Say><lang xml:lang="fr-FR">Bonjour!</lang></Say></Response>"#
    );
}

#[test]
fn node_mixed_content() {
    let xml = VoiceResponse::new()
        .text("before")
        .leave_now()
        .text("after")
        .to_xml()
        .unwrap();
    assert_eq!(
        xml,
        r#"<?xml version="1.0" encoding="UTF-8"?><Response>before<Leave/>after</Response>"#
    );
}

#[test]
fn node_status_callback_ampersand() {
    let xml = VoiceResponse::new()
        .dial(Dial::empty().client(
            Client::new("alice").status_callback("https://example.com?action=getTwiml&param=dial"),
        ))
        .to_xml()
        .unwrap();
    assert!(xml.contains(r#"statusCallback="https://example.com?action=getTwiml&amp;param=dial""#));
}

#[test]
fn node_list_attribute_is_space_joined() {
    let xml = VoiceResponse::new()
        .dial(Dial::empty().number(
            Number::new("+1").status_callback_event([CallEvent::Initiated, CallEvent::Ringing]),
        ))
        .to_xml()
        .unwrap();
    assert!(xml.contains(r#"statusCallbackEvent="initiated ringing""#));
}

// ---- twilio-python goldens: same strings where the dialects agree ----

#[test]
fn python_message_and_redirect() {
    let xml = MessagingResponse::new()
        .message("Hello")
        .redirect("example.com")
        .to_xml()
        .unwrap();
    assert_eq!(
        xml,
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Message>Hello</Message><Redirect>example.com</Redirect></Response>"#
    );
}

#[test]
fn python_say_with_attributes() {
    let xml = VoiceResponse::new()
        .say(
            Say::new("Hello Monkey")
                .language("fr")
                .loop_(3)
                .voice(Voice::Man),
        )
        .to_xml()
        .unwrap();
    assert_eq!(
        xml,
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Say language="fr" loop="3" voice="man">Hello Monkey</Say></Response>"#
    );
}

#[test]
fn python_record_in_node_dialect() {
    // python writes `<Record ... />` (ElementTree, a space before the slash); we follow node.
    let python = r##"<?xml version="1.0" encoding="UTF-8"?><Response><Record finishOnKey="#" maxLength="30" timeout="4" /></Response>"##;
    let xml = VoiceResponse::new()
        .record(Record::new().finish_on_key("#").max_length(30).timeout(4))
        .to_xml()
        .unwrap();
    assert_eq!(xml, python.replace(" />", "/>"));
}

#[test]
fn python_redirect_with_query() {
    let xml = MessagingResponse::new()
        .redirect(Redirect::new("example.com?id=34&action=hey").method(Method::Post))
        .to_xml()
        .unwrap();
    assert_eq!(
        xml,
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Redirect method="POST">example.com?id=34&amp;action=hey</Redirect></Response>"#
    );
}

// ---- serialization rules ----

#[test]
fn escaping_tables() {
    let xml = MessagingResponse::new()
        .message(Message::new("a&b<c>d\"e'f\r\n\tg").to("x&y<z>\"'\r\n\t"))
        .to_xml()
        .unwrap();
    assert_eq!(
        xml,
        doc(
            r#"<Response><Message to="x&amp;y&lt;z>&quot;'&#xD;&#xA;&#x9;">a&amp;b&lt;c&gt;d"e'f&#xD;
	g</Message></Response>"#
        )
    );
}

#[test]
fn utf8_passes_through() {
    let xml = MessagingResponse::new()
        .message("An utf-8 character: ñ, nécessaire et d'autres 🎉")
        .to_xml()
        .unwrap();
    assert!(xml.contains("<Message>An utf-8 character: ñ, nécessaire et d'autres 🎉</Message>"));
}

#[test]
fn forbidden_characters_error_and_buffer_is_kept() {
    for (text, cp) in [
        ("a\0b", 0),
        ("\u{8}", 8),
        ("\u{1f}", 0x1f),
        ("\u{FFFE}", 0xFFFE),
        ("x\u{FFFF}", 0xFFFF),
    ] {
        let r = MessagingResponse::new().message(text).to_xml();
        assert_eq!(r, Err(TwimlError::ForbiddenCharacter(cp)), "{text:?}");
        let r = MessagingResponse::new()
            .message(Message::new("ok").to(text))
            .to_xml();
        assert_eq!(r, Err(TwimlError::ForbiddenCharacter(cp)), "{text:?}");
    }
    let mut buf = String::from("keep");
    let r = MessagingResponse::new().message("\0").write_xml(&mut buf);
    assert!(r.is_err());
    assert_eq!(buf, "keep");
}

#[test]
fn write_xml_appends_to_a_reused_buffer() {
    let mut buf = String::new();
    let reply = MessagingResponse::new().message("one");
    reply.write_xml(&mut buf).unwrap();
    let first = buf.clone();
    buf.clear();
    reply.write_xml(&mut buf).unwrap();
    assert_eq!(buf, first);
    assert_eq!(buf, reply.to_xml().unwrap());
}

#[test]
fn setting_an_attribute_twice_replaces_it_in_place() {
    let xml = VoiceResponse::new()
        .gather(Gather::new().timeout(5).action("/a").timeout(7))
        .to_xml()
        .unwrap();
    assert_eq!(
        xml,
        doc(r#"<Response><Gather timeout="7" action="/a"/></Response>"#)
    );
}

#[test]
fn empty_text_self_closes_like_xmlbuilder() {
    let xml = VoiceResponse::new().say("").to_xml().unwrap();
    assert_eq!(xml, doc("<Response><Say/></Response>"));
}

#[test]
fn raw_element_escape_hatch() {
    let xml = VoiceResponse::new()
        .raw(
            RawElement::new("Future")
                .attr("mode", "fast")
                .raw(RawElement::new("Inner").text("x<y")),
        )
        .gather(Gather::new().raw(Play::new("https://a/b.mp3")))
        .to_xml()
        .unwrap();
    assert_eq!(
        xml,
        doc(
            r#"<Response><Future mode="fast"><Inner>x&lt;y</Inner></Future><Gather><Play>https://a/b.mp3</Play></Gather></Response>"#
        )
    );
    for bad in ["", "a b", "x\"", "1x", "a>b"] {
        let r = VoiceResponse::new().raw(RawElement::new(bad)).to_xml();
        assert_eq!(r, Err(TwimlError::InvalidName(bad.to_owned())));
        let r = VoiceResponse::new()
            .say(Say::new("x").attr(bad, "v"))
            .to_xml();
        assert_eq!(r, Err(TwimlError::InvalidName(bad.to_owned())));
    }
}

#[test]
fn comments() {
    let xml = MessagingResponse::new()
        .comment("Hello World")
        .to_xml()
        .unwrap();
    assert_eq!(xml, doc("<Response><!-- Hello World --></Response>"));
    let r = MessagingResponse::new().comment("a-->b").to_xml();
    assert_eq!(r, Err(TwimlError::InvalidComment));
}

#[test]
fn enum_escape_hatch_and_spellings() {
    assert_eq!(Trim::from("do-not-trim"), Trim::DoNotTrim);
    assert_eq!(
        Voice::from("Polly.Joanna"),
        Voice::Other("Polly.Joanna".into())
    );
    assert_eq!(Voice::polly("Joanna").as_str(), "Polly.Joanna");
    assert_eq!(
        Voice::google("en-US-Neural2-F").to_string(),
        "Google.en-US-Neural2-F"
    );
    assert_eq!(Language::from("pa-guru-IN"), Language::PaGuruIn);
    assert_eq!(Language::CmnHansCn.as_str(), "cmn-Hans-CN");
    let xml = VoiceResponse::new()
        .say(
            Say::new("hi")
                .voice(Voice::polly("Amy"))
                .language(Language::Other("xx-YY".into())),
        )
        .to_xml()
        .unwrap();
    assert!(xml.contains(r#"<Say voice="Polly.Amy" language="xx-YY">hi</Say>"#));
}

#[test]
fn whole_voice_vocabulary_renders() {
    use twilio_webhook::twiml::ssml::*;
    let xml = VoiceResponse::new()
        .connect(
            Connect::new()
                .action("/c")
                .stream(
                    Stream::new()
                        .url("wss://s")
                        .track(StreamTrack::BothTracks)
                        .parameter(Parameter::pair("k", "v")),
                )
                .conversation_relay(
                    ConversationRelay::new()
                        .url("wss://r")
                        .language_config(RelayLanguage::new().code("en-US")),
                )
                .room(Room::new("lobby").participant_identity("bob"))
                .virtual_agent(
                    VirtualAgent::new()
                        .connector_name("cx")
                        .config(Config::new().name("a").value("b")),
                )
                .assistant(Assistant::new().id("as"))
                .ai_session(AiSession::new().ai_connector("x"))
                .conversation(
                    Conversation::new().status_callback_event([ConversationEvent::CallAnswered]),
                )
                .conversation_relay_session(ConversationRelaySession::new().connector("c"))
                .autopilot("old"),
        )
        .dial(
            Dial::empty()
                .record(DialRecord::RecordFromAnswerDual)
                .ring_tone(RingTone::UsOld)
                .recording_status_callback_event([
                    RecordingEvent::InProgress,
                    RecordingEvent::Completed,
                ])
                .application(
                    Application::empty()
                        .application_sid("AP1")
                        .parameter(Parameter::pair("a", "1")),
                )
                .client(Client::empty().identity("alice"))
                .conference(
                    Conference::new("room")
                        .beep(ConferenceBeep::OnEnter)
                        .region(ConferenceRegion::Ie1),
                )
                .queue(Queue::new("support").url("/q"))
                .sim("DE1")
                .sip(
                    Sip::empty()
                        .headers(Headers::new().header(Header::new().name("X-A").value("1")))
                        .uri(SipUri::new("sip:a@b").weight("1")),
                )
                .whatsapp("+1555"),
        )
        .echo(Echo::new())
        .enqueue(Enqueue::new("support").wait_url("/wait"))
        .pay(
            Pay::new()
                .valid_card_types([CardType::Visa, CardType::DinersClub])
                .prompt(
                    Prompt::new()
                        .for_(PromptFor::ExpirationDate)
                        .attempt([1, 2])
                        .say("Expiry?"),
                ),
        )
        .play(Play::new("https://a/b.mp3").loop_(0).digits("ww1"))
        .queue("q")
        .refer(Refer::new().sip("sip:x@y"))
        .sms(Sms::new("hi").to("+1"))
        .start(
            Start::new()
                .recording(Recording::new().channels(RecordingChannels::Dual))
                .siprec(Siprec::new().name("s"))
                .transcription(Transcription::new().language_code("en-US")),
        )
        .stop(Stop::new().stream(Stream::new().name("s")))
        .say(
            Say::new("Hi ")
                .p(P::new("para").s(S::new("sent").w(W::new("word").role("amazon:VB"))))
                .prosody(
                    Prosody::new("slow")
                        .rate("x-slow")
                        .break_(Break::new().time("1s")),
                )
                .phoneme(
                    Phoneme::new("tomato")
                        .alphabet(PhonemeAlphabet::Ipa)
                        .ph("təˈmeɪtoʊ"),
                )
                .sub(Sub::new("W3C").alias("World Wide Web Consortium"))
                .emphasis(Emphasis::new("now").level(EmphasisLevel::Strong)),
        )
        .to_xml()
        .unwrap();
    for fragment in [
        r#"<Connect action="/c"><Stream url="wss://s" track="both_tracks"><Parameter name="k" value="v"/></Stream>"#,
        r#"<ConversationRelay url="wss://r"><Language code="en-US"/></ConversationRelay>"#,
        r#"<Room participantIdentity="bob">lobby</Room>"#,
        r#"<Config name="a" value="b"/>"#,
        r#"<Conversation statusCallbackEvent="call-answered"/>"#,
        r#"<Autopilot>old</Autopilot></Connect>"#,
        r#"<Dial record="record-from-answer-dual" ringTone="us-old" recordingStatusCallbackEvent="in-progress completed">"#,
        r#"<Application><ApplicationSid>AP1</ApplicationSid><Parameter name="a" value="1"/></Application>"#,
        r#"<Client><Identity>alice</Identity></Client>"#,
        r#"<Conference beep="onEnter" region="ie1">room</Conference>"#,
        r#"<Sip><Headers><Header name="X-A" value="1"/></Headers><Uri weight="1">sip:a@b</Uri></Sip><WhatsApp>+1555</WhatsApp></Dial>"#,
        r#"<Echo/><Enqueue waitUrl="/wait">support</Enqueue>"#,
        r#"<Pay validCardTypes="visa diners-club"><Prompt for="expiration-date" attempt="1 2"><Say>Expiry?</Say></Prompt></Pay>"#,
        r#"<Play loop="0" digits="ww1">https://a/b.mp3</Play><Queue>q</Queue><Refer><Sip>sip:x@y</Sip></Refer>"#,
        r#"<Start><Recording channels="dual"/><Siprec name="s"/><Transcription languageCode="en-US"/></Start><Stop><Stream name="s"/></Stop>"#,
        r#"<Say>Hi <p>para<s>sent<w role="amazon:VB">word</w></s></p><prosody rate="x-slow">slow<break time="1s"/></prosody>"#,
        r#"<phoneme alphabet="ipa" ph="təˈmeɪtoʊ">tomato</phoneme><sub alias="World Wide Web Consortium">W3C</sub><emphasis level="strong">now</emphasis></Say></Response>"#,
    ] {
        assert!(xml.contains(fragment), "missing {fragment}\nin {xml}");
    }
    assert_well_formed(&xml);
}

// ---- round-trip through a real XML parser ----

/// Parses `xml` with quick-xml and returns (text of the first `Message`, its `to` attribute),
/// failing on any malformed input.
fn parse_message(xml: &str) -> (String, Option<String>, usize) {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut in_message = false;
    let mut text = String::new();
    let mut to = None;
    let mut elements = 0;
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) | Event::Empty(e) => {
                elements += 1;
                if e.name().as_ref() == "Message" {
                    in_message = true;
                    for a in e.attributes() {
                        let a = a.unwrap();
                        if a.key.as_ref() == "to" {
                            to = Some(
                                a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                    .unwrap()
                                    .into_owned(),
                            );
                        }
                    }
                }
            }
            Event::End(e) if e.name().as_ref() == "Message" => in_message = false,
            Event::Text(t) if in_message => text.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if in_message => {
                if let Some(ch) = r.resolve_char_ref().unwrap() {
                    text.push(ch);
                } else {
                    let name: &str = &r;
                    text.push_str(quick_xml::escape::resolve_xml_entity(name).unwrap());
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    (text, to, elements)
}

fn assert_well_formed(xml: &str) {
    let mut reader = quick_xml::Reader::from_str(xml);
    reader.config_mut().check_end_names = true;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("malformed XML: {e}\n{xml}"),
        }
    }
}

#[test]
fn injection_attempt_stays_text() {
    let attack = r#"</Message><Redirect>https://evil.example/</Redirect><Message>"#;
    let xml = MessagingResponse::new()
        .message(Message::new(attack).to(attack))
        .to_xml()
        .unwrap();
    assert!(!xml.contains("<Redirect>"));
    let (text, to, elements) = parse_message(&xml);
    assert_eq!(text, attack);
    assert_eq!(to.as_deref(), Some(attack));
    assert_eq!(elements, 2, "only Response and Message");
}

fn xml_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => any::<char>(),
        2 => prop::sample::select(vec!['<', '>', '&', '"', '\'', '\t', '\n', '\r', ';', '#', '\0', '\u{FFFE}', '\u{FFFF}', '\u{1}']),
        2 => prop::char::range('a', 'z'),
    ]
}

fn is_forbidden(c: char) -> bool {
    (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{FFFE}' || c == '\u{FFFF}'
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_text_and_attribute_round_trips_or_errors(
        text in prop::collection::vec(xml_char(), 0..40).prop_map(String::from_iter),
        attr in prop::collection::vec(xml_char(), 0..40).prop_map(String::from_iter),
    ) {
        let result = MessagingResponse::new()
            .message(Message::new(text.clone()).to(attr.clone()))
            .to_xml();
        // The attribute is written before the text, so its bad character is reported first.
        let forbidden = attr.chars().chain(text.chars()).find(|&c| is_forbidden(c));
        match (forbidden, result) {
            (Some(c), Err(e)) => prop_assert_eq!(e, TwimlError::ForbiddenCharacter(u32::from(c))),
            (None, Ok(xml)) => {
                let (parsed_text, parsed_to, elements) = parse_message(&xml);
                prop_assert_eq!(parsed_text, text);
                prop_assert_eq!(parsed_to, Some(attr));
                prop_assert_eq!(elements, 2);
            }
            (f, r) => prop_assert!(false, "forbidden {:?} but result {:?}", f, r),
        }
    }
}

// ---- serving: axum IntoResponse and actix Responder ----

#[cfg(feature = "axum")]
#[tokio::test]
async fn axum_into_response() {
    use axum::response::IntoResponse;

    let twiml = MessagingResponse::new()
        .message("ok & done")
        .render()
        .unwrap();
    let expected = twiml.as_str().to_owned();
    let resp = twiml.into_response();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/xml; charset=utf-8");
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    assert_eq!(body, expected.as_bytes());
    assert!(expected.ends_with("<Message>ok &amp; done</Message></Response>"));

    let err = MessagingResponse::new().message("\0").render().unwrap_err();
    let resp = err.into_response();
    assert_eq!(resp.status(), 500);
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    assert_eq!(body, "TwiML could not be rendered".as_bytes());

    // The builders themselves are responses too.
    let resp = VoiceResponse::new().hangup_now().into_response();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/xml; charset=utf-8");
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    assert_eq!(body, doc("<Response><Hangup/></Response>").as_bytes());
    let resp = MessagingResponse::new().message("\u{2}").into_response();
    assert_eq!(resp.status(), 500);
}

#[cfg(feature = "actix")]
#[tokio::test]
async fn actix_responder() {
    use actix_web::{Responder, ResponseError};

    let req = actix_web::test::TestRequest::default().to_http_request();
    let twiml = VoiceResponse::new().say("hi").render().unwrap();
    let expected = twiml.as_str().to_owned();
    let resp = twiml.respond_to(&req);
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers().get("content-type").unwrap(),
        "text/xml; charset=utf-8"
    );
    let body = actix_web::body::to_bytes(resp.into_body()).await.unwrap();
    assert_eq!(body, expected.as_bytes());
    assert!(expected.ends_with("<Say>hi</Say></Response>"));

    let err = VoiceResponse::new().say("\u{FFFF}").render().unwrap_err();
    let resp = err.error_response();
    assert_eq!(resp.status(), 500);
    let body = actix_web::body::to_bytes(resp.into_body()).await.unwrap();
    assert_eq!(body, "TwiML could not be rendered".as_bytes());

    // The builders themselves are responders too.
    let resp = MessagingResponse::new().message("ok").respond_to(&req);
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers().get("content-type").unwrap(),
        "text/xml; charset=utf-8"
    );
    let body = actix_web::body::to_bytes(resp.into_body()).await.unwrap();
    assert_eq!(
        body,
        doc("<Response><Message>ok</Message></Response>").as_bytes()
    );
    let resp = VoiceResponse::new().say("\0").respond_to(&req);
    assert_eq!(resp.status(), 500);
}

/// POSTs `body` and expects 200, the TwiML content type and `<?xml ..?>` + `response`.
#[cfg(any(feature = "axum", feature = "actix"))]
async fn expect_served(url: &str, body: &str, response: &str) {
    let resp = post(url, body).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/xml; charset=utf-8");
    assert_eq!(resp.text().await.unwrap(), doc(response));
}

/// POSTs a body holding a forbidden character: 500 with the fixed text, no XML.
#[cfg(any(feature = "axum", feature = "actix"))]
async fn expect_render_failure(url: &str, body: &str) {
    let resp = post(url, body).await;
    assert_eq!(resp.status(), 500);
    assert_eq!(resp.text().await.unwrap(), "TwiML could not be rendered");
}

#[cfg(any(feature = "axum", feature = "actix"))]
async fn post(url: &str, body: &str) -> reqwest::Response {
    crate::client::http_client()
        .post(url)
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

/// A real axum server on 127.0.0.1:0 answering a handler that returns
/// `Result<Twiml, TwimlError>`, asked over HTTP with reqwest.
#[cfg(feature = "axum")]
#[tokio::test]
async fn axum_serves_twiml_over_http() {
    use axum::Router;
    use axum::routing::post;

    async fn sms(body: String) -> Result<Twiml, TwimlError> {
        // Echo the body back: a NUL in it makes rendering fail (500), never bad XML.
        MessagingResponse::new()
            .message(format!("got {body}"))
            .render()
    }

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().route("/sms", post(sms));
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let url = format!("http://{addr}/sms");
    expect_served(
        &url,
        "a<b",
        "<Response><Message>got a&lt;b</Message></Response>",
    )
    .await;
    expect_render_failure(&url, "nul\0").await;
    server.abort();
}

/// A real actix-web server on 127.0.0.1:0 (its own system thread), asked with reqwest.
#[cfg(feature = "actix")]
#[tokio::test]
async fn actix_serves_twiml_over_http() {
    use actix_web::{App, HttpServer, web};

    async fn voice(body: String) -> Result<Twiml, TwimlError> {
        VoiceResponse::new().say(format!("said {body}")).render()
    }

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = HttpServer::new(|| App::new().route("/voice", web::post().to(voice)))
                .workers(1)
                .listen(listener)
                .unwrap()
                .run();
            tx.send(server.handle()).unwrap();
            server.await
        })
    });
    let handle = rx.recv().unwrap();

    let url = format!("http://{addr}/voice");
    expect_served(
        &url,
        "x & y",
        "<Response><Say>said x &amp; y</Say></Response>",
    )
    .await;
    expect_render_failure(&url, "\u{1}").await;

    handle.stop(true).await;
    thread.join().unwrap().unwrap();
}

#[test]
fn fax_receive() {
    let xml = FaxResponse::new()
        .receive(
            Receive::new()
                .media_type(FaxMediaType::ApplicationPdf)
                .page_size(FaxPageSize::A4)
                .store_media(false),
        )
        .to_xml()
        .unwrap();
    assert_eq!(
        xml,
        doc(
            r#"<Response><Receive mediaType="application/pdf" pageSize="a4" storeMedia="false"/></Response>"#
        )
    );
}
