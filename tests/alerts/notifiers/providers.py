"""Aliyun and Tencent Cloud SMS as local HTTP servers on 127.0.0.1: every request's signature is
verified with the provider's published algorithm, and each answers in the provider's words.

``server.script`` lists the answers to give, in order (then ``ok``): ``ok``, ``limit`` (per-number
flow control), ``template`` (template not approved), ``throttled`` (a 5xx from the gateway).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.alerts.notifiers.signatures import acs3_signature, parse_authorization, tc3_signature
from tests.procs import serving

ALIYUN_ID, ALIYUN_SECRET = "LTAI5tTestKeyId0000", "aliyun-secret-do-not-print-0000"
TENCENT_ID, TENCENT_KEY = "AKIDtestsecretid00000000", "tencent-key-do-not-print-00000"

_ALIYUN = {
    "ok": (200, {"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0"}),
    "limit": (200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发分钟级流控Permits:1"}),
    "template": (200, {"Code": "isv.SMS_TEMPLATE_ILLEGAL",
                       "Message": "该账号下找不到对应模板"}),
    "throttled": (503, {"Code": "ServiceUnavailable",
                        "Message": "The request has failed due to a temporary failure of the server."}),
}
_TENCENT_STATUS = {
    "ok": ("Ok", "send success"),
    "limit": ("LimitExceeded.PhoneNumberDailyLimit",
              "the number of sms messages sent from a single mobile number every day exceeds the "
              "upper limit"),
    "template": ("FailedOperation.TemplateIncorrectOrUnapproved",
                 "template is not approved or request content does not match the approved template content"),
}


class Provider(ThreadingHTTPServer):
    """One fake provider: what it received, verified, and what it is told to answer next."""

    daemon_threads = True

    def __init__(self, kind: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.kind = kind
        self.script: list[str] = []
        self.requests: list[dict[str, Any]] = []  # the business parameters of each verified request
        self.rejected: list[str] = []  # why a request's signature did not verify
        self.count = 0

    @property
    def endpoint(self) -> str:
        """host:port for the SDK's endpoint override."""
        return f"127.0.0.1:{self.server_address[1]}"

    def next_answer(self) -> str:
        self.count += 1
        return self.script.pop(0) if self.script else "ok"


class _Handler(BaseHTTPRequestHandler):
    server: Provider

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.server.kind == "aliyun":
            self._aliyun(body)
        else:
            self._tencent(body)

    def _aliyun(self, body: bytes) -> None:
        url = urlsplit(self.path)
        query = parse_qsl(url.query, keep_blank_values=True)
        algorithm, auth = parse_authorization(self.headers.get("Authorization", ""))
        signed = auth.get("SignedHeaders", "").split(";")
        headers = {k.lower(): v for k, v in self.headers.items()}
        expected = acs3_signature(secret=ALIYUN_SECRET, method="POST", path=url.path, query=query,
                                  headers=headers, signed=signed, body=body)
        problems = [p for p, bad in [
            ("algorithm", algorithm != "ACS3-HMAC-SHA256"),
            ("credential", auth.get("Credential") != ALIYUN_ID),
            ("unsigned action", "x-acs-action" not in signed or "host" not in signed),
            ("signature", auth.get("Signature") != expected)] if bad]
        request_id = f"A1B2C3D4-0000-4000-8000-{self.server.count:012d}"
        if problems:
            self.server.rejected.append(", ".join(problems))
            self._json(400, {"Code": "SignatureDoesNotMatch", "RequestId": request_id,
                             "Message": "Specified signature is not matched with our calculation."})
            return
        action = headers.get("x-acs-action")
        self.server.requests.append({"action": action, **dict(query)})
        status, answer = _ALIYUN[self.server.next_answer()]
        if action == "SingleCallByTts" and answer["Code"] == "OK":  # a call answers with its id
            answer = {"Code": "OK", "Message": "OK", "CallId": "116012354148^102813783****"}
        self._json(status, {**answer, "RequestId": request_id})

    def _tencent(self, body: bytes) -> None:
        algorithm, auth = parse_authorization(self.headers.get("Authorization", ""))
        credential = auth.get("Credential", "").split("/")
        signed = auth.get("SignedHeaders", "").split(";")
        headers = {k.lower(): v for k, v in self.headers.items()}
        timestamp = int(self.headers.get("X-TC-Timestamp", "0"))
        service = "vms" if self.headers.get("X-TC-Action") == "SendTtsVoice" else "sms"
        expected = tc3_signature(secret_key=TENCENT_KEY, service=service, timestamp=timestamp,
                                 method="POST", path=urlsplit(self.path).path,
                                 query=urlsplit(self.path).query, headers=headers, signed=signed,
                                 body=body)
        problems = [p for p, bad in [
            ("algorithm", algorithm != "TC3-HMAC-SHA256"),
            ("credential", credential[0] != TENCENT_ID or credential[2:] != [service, "tc3_request"]),
            ("signature", auth.get("Signature") != expected)] if bad]
        request_id = f"a0aabda6-cf91-4f3e-a81f-{self.server.count:012d}"
        if problems:
            self.server.rejected.append(", ".join(problems))
            self._json(200, {"Response": {"RequestId": request_id, "Error": {
                "Code": "AuthFailure.SignatureFailure",
                "Message": "The provided credentials could not be validated."}}})
            return
        params = json.loads(body)
        self.server.requests.append({"action": self.headers.get("X-TC-Action"), **params})
        answer = self.server.next_answer()
        if answer == "throttled":
            self._json(502, {"message": "bad gateway"})
            return
        code, message = _TENCENT_STATUS[answer]
        if self.headers.get("X-TC-Action") == "SendTtsVoice":  # voice: errors are request-level
            self._tencent_voice(code, message, request_id)
            return
        statuses = [{"SerialNo": "2640:1045710669157053657849499619" if code == "Ok" else "",
                     "PhoneNumber": number, "Fee": 1 if code == "Ok" else 0, "SessionContext": "",
                     "Code": code, "Message": message, "IsoCode": "CN"}
                    for number in params.get("PhoneNumberSet", [])]
        self._json(200, {"Response": {"SendStatusSet": statuses, "RequestId": request_id}})

    def _tencent_voice(self, code: str, message: str, request_id: str) -> None:
        if code == "Ok":
            status = {"CallId": "Ext_8f2a2ec0c7b0a6d1", "SessionContext": ""}
            self._json(200, {"Response": {"SendStatus": status, "RequestId": request_id}})
        else:
            error = {"Code": code, "Message": message}
            self._json(200, {"Response": {"Error": error, "RequestId": request_id}})

    def _json(self, status: int, doc: dict[str, Any]) -> None:
        data = json.dumps(doc, ensure_ascii=False).encode()
        self.send_response(status)
        # each as the provider sends it (Tencent's SDK reads errors only under exactly this type)
        kind = "application/json" if self.server.kind == "tencent" else "application/json;charset=utf-8"
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def provider(kind: str) -> Iterator[Provider]:
    """A running fake ``aliyun`` or ``tencent`` on loopback, stopped afterwards."""
    server = Provider(kind)
    with serving(server):
        yield server
