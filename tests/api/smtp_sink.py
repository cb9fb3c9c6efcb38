#!/usr/bin/python3
"""A real SMTP server for the API tests (Debian python3-aiosmtpd) on loopback.

Each message it accepts is parsed with Python's email package and written to DIR as one JSON
file: the envelope, the decoded headers, the text and HTML bodies, whether the session used
TLS and who authenticated. Usage:

  smtp_sink.py --port P --dir DIR [--tls none|starttls|tls --cert C --key K]
               [--user U --password W]

Prints "ready" once it accepts connections; runs until SIGTERM.
"""
import argparse
import email
import email.policy
import json
import os
import signal
import ssl
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def raw_header(content, name):
    """The header as sent (folded lines joined), before any decoding."""
    head = content.split(b'\r\n\r\n', 1)[0].decode('ascii', 'replace')
    out, on = [], False
    for line in head.split('\r\n'):
        if line[:1] in (' ', '\t') and on:
            out.append(line)
        else:
            on = line.lower().startswith(name.decode().lower() + ':')
            if on:
                out.append(line)
    return '\r\n'.join(out)


def auth_login(session):
    """Who authenticated in this session (None: nobody)."""
    if not session.authenticated:
        return None
    d = session.auth_data
    if isinstance(d, LoginPassword):
        return d.login.decode()
    return d.decode() if isinstance(d, bytes) else str(d)


class Sink:
    def __init__(self, directory, implicit_tls):
        self.directory = directory
        self.implicit_tls = implicit_tls  # every session is TLS (a plain client cannot talk)
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        text = msg.get_body(('plain',))
        html = msg.get_body(('html',))
        out = {
            'mail_from': envelope.mail_from,
            'rcpt_tos': envelope.rcpt_tos,
            'from': str(msg['From']),
            'to': str(msg['To']),
            'subject': str(msg['Subject']),
            'raw_subject': raw_header(envelope.original_content, b'Subject'),
            'message_id': str(msg['Message-ID']),
            'content_type': msg.get_content_type(),
            'text': text.get_content() if text else None,
            'html': html.get_content() if html else None,
            'tls': self.implicit_tls or session.ssl is not None,
            'auth': auth_login(session),
        }
        self.count += 1
        name = os.path.join(self.directory, '%06d.json' % self.count)
        with open(name + '.tmp', 'w', encoding='utf-8') as f:
            json.dump(out, f, ensure_ascii=False)
        os.rename(name + '.tmp', name)
        return '250 OK stored'


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--dir', required=True)
    ap.add_argument('--tls', default='none', choices=['none', 'starttls', 'tls'])
    ap.add_argument('--cert')
    ap.add_argument('--key')
    ap.add_argument('--user')
    ap.add_argument('--password')
    a = ap.parse_args()

    kw = {}
    if a.tls != 'none':
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.cert, a.key)
        if a.tls == 'starttls':
            kw['tls_context'] = ctx
            kw['require_starttls'] = True
        else:
            kw['ssl_context'] = ctx
    if a.user:
        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (isinstance(auth_data, LoginPassword) and
                  auth_data.login.decode() == a.user and auth_data.password.decode() == a.password)
            return AuthResult(success=ok, handled=False, auth_data=a.user if ok else None)
        kw['authenticator'] = authenticator
        kw['auth_required'] = True
        # Over STARTTLS, AUTH only after it; implicit TLS is encrypted from the start (aiosmtpd
        # only knows of STARTTLS, so it must not ask for it then).
        kw['auth_require_tls'] = a.tls == 'starttls'
    controller = Controller(Sink(a.dir, a.tls == 'tls'), hostname='127.0.0.1', port=a.port, **kw)
    controller.start()
    print('ready', flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    controller.stop()


if __name__ == '__main__':
    main()
