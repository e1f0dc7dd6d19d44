#!/usr/bin/env python3
"""Writes COUNT distinct incoming-SMS webhooks, each signed as Twilio signs them, as raw
HTTP/1.1 requests for `floor.lua` (wrk): every request a new MessageSid and sender, so no
replay guard or store ever sees a repeat.

    bench/signed_sms.py TOKEN PUBLIC_URL HOST:PORT COUNT OUT [BODY]

The signature is base64(HMAC-SHA1(token, PUBLIC_URL + each name and value, sorted by name)).
Each record in OUT is a decimal byte length, a newline, then the request bytes.
"""
import base64
import hashlib
import hmac
import sys
from urllib.parse import quote, urlsplit


def main():
    token, public_url, authority, count, out = sys.argv[1:6]
    body = sys.argv[6] if len(sys.argv) > 6 else "BENCH 4 great talk"
    path = urlsplit(public_url).path or "/"
    key = hmac.new(token.encode(), digestmod=hashlib.sha1)
    with open(out, "wb") as f:
        for n in range(int(count)):
            sid = f"SM{n:032x}"
            phone = f"+1555{n % 10_000_000:07d}"
            params = [
                ("ToCountry", "US"), ("ToState", "CA"), ("SmsMessageSid", sid),
                ("NumMedia", "0"), ("ToCity", "SAN FRANCISCO"), ("FromZip", "94105"),
                ("SmsSid", sid), ("FromState", "CA"), ("SmsStatus", "received"),
                ("FromCity", "SAN FRANCISCO"), ("Body", body), ("FromCountry", "US"),
                ("To", "+15005550006"), ("MessagingServiceSid", "MG" + "0" * 32),
                ("ToZip", "94105"), ("NumSegments", "1"), ("ReferralNumMedia", "0"),
                ("MessageSid", sid), ("AccountSid", "AC" + "0" * 32), ("From", phone),
                ("ApiVersion", "2010-04-01"),
            ]
            mac = key.copy()
            mac.update((public_url + "".join(k + v for k, v in sorted(params))).encode())
            signature = base64.b64encode(mac.digest()).decode()
            form = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in params)
            request = (
                f"POST {path} HTTP/1.1\r\nHost: {authority}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"X-Twilio-Signature: {signature}\r\n"
                f"I-Twilio-Idempotency-Token: {sid}\r\n"
                "User-Agent: TwilioProxy/1.1\r\n"
                f"Content-Length: {len(form)}\r\n\r\n{form}"
            ).encode()
            f.write(b"%d\n" % len(request))
            f.write(request)


if __name__ == "__main__":
    main()
