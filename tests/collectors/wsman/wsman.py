"""A loopback WS-Management listener that speaks enough of the WinRS shell protocol (Create,
Command, Receive, Signal, Delete; basic auth over TLS) for pywinrm, and answers the PowerShell
command with a recorded ``ConvertTo-Json`` output: a stand-in for a Windows server's WinRM,
which cannot run here. It records what it was asked so tests can check the conversation."""

from __future__ import annotations

import base64
import datetime
import ipaddress
import ssl
import threading
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

NS = {"s": "http://www.w3.org/2003/05/soap-envelope",
      "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
      "w": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
      "rsp": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"}
SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
TRANSFER = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
PREFIX = "powershell -NoProfile -NonInteractive -EncodedCommand "


@dataclass
class Listener:
    """What the listener was asked: every action, each shell's code page, the scripts run."""

    endpoint: str
    ca_file: Path
    actions: list[str] = field(default_factory=list)
    codepages: list[str] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)
    open_shells: set[str] = field(default_factory=set)


def certificate(work: Path) -> tuple[Path, Path]:
    """A throw-away self-signed certificate for 127.0.0.1 (cert, key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "win-old-01")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = work / "winrm-cert.pem", work / "winrm-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@contextmanager
def listening(work: Path, *, username: str, password: str, stdout: bytes) -> Iterator[Listener]:
    """Serve on 127.0.0.1 (an ephemeral port) until the block ends."""
    cert, key = certificate(work)
    state: Listener | None = None
    expected = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
    receives: dict[str, int] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_: object) -> None:
            return None

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.headers.get("Authorization") != expected:
                self._send(401, b"", {"WWW-Authenticate": 'Basic realm="WSMAN"'})
                return
            assert state is not None
            root = ET.fromstring(body)
            action = root.findtext("s:Header/a:Action", "", NS)
            message = root.findtext("s:Header/a:MessageID", "", NS)
            shell = root.findtext("s:Header/w:SelectorSet/w:Selector[@Name='ShellId']", "", NS)
            state.actions.append(action.rsplit("/", 1)[-1])
            status, inner = 200, ""
            if action == f"{TRANSFER}/Create":
                state.codepages.append(root.findtext(
                    "s:Header/w:OptionSet/w:Option[@Name='WINRS_CODEPAGE']", "", NS))
                shell = str(uuid.uuid4()).upper()
                state.open_shells.add(shell)
                inner = (f"<x:ResourceCreated><a:Address>{state.endpoint}</a:Address><a:ReferenceParameters>"
                         f"<w:ResourceURI>{SHELL}/cmd</w:ResourceURI><w:SelectorSet>"
                         f'<w:Selector Name="ShellId">{shell}</w:Selector></w:SelectorSet>'
                         "</a:ReferenceParameters></x:ResourceCreated>")
            elif action == f"{SHELL}/Command":
                line = root.findtext("s:Body/rsp:CommandLine/rsp:Command", "", NS).strip('"')
                if not line.startswith(PREFIX) or shell not in state.open_shells:
                    status, inner = 500, _fault("w:InvalidParameter", 2150858882, "not a PowerShell command")
                else:
                    state.scripts.append(base64.b64decode(line[len(PREFIX):]).decode("utf-16-le"))
                    command = str(uuid.uuid4()).upper()
                    receives[command] = 0
                    inner = (f"<rsp:CommandResponse><rsp:CommandId>{command}</rsp:CommandId>"
                             "</rsp:CommandResponse>")
            elif action == f"{SHELL}/Receive":
                desired = root.find("s:Body/rsp:Receive/rsp:DesiredStream", NS)
                command = "" if desired is None else desired.get("CommandId", "")
                receives[command] += 1
                status, inner = _receive(receives[command], command, stdout)
            elif action == f"{SHELL}/Signal":
                inner = "<rsp:SignalResponse/>"
            elif action == f"{TRANSFER}/Delete":
                state.open_shells.discard(shell)
            envelope = (f'<s:Envelope xmlns:s="{NS["s"]}" xmlns:a="{NS["a"]}" xmlns:w="{NS["w"]}" '
                        f'xmlns:rsp="{NS["rsp"]}" xmlns:x="{TRANSFER}"><s:Header>'
                        f"<a:Action>{action}Response</a:Action><a:MessageID>uuid:{uuid.uuid4()}</a:MessageID>"
                        f"<a:RelatesTo>{message}</a:RelatesTo></s:Header><s:Body>{inner}</s:Body></s:Envelope>")
            self._send(status, envelope.encode(), {"Content-Type": "application/soap+xml;charset=UTF-8"})

        def _send(self, status: int, data: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    state = Listener(endpoint=f"https://127.0.0.1:{server.server_address[1]}/wsman", ca_file=cert)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _receive(count: int, command: str, stdout: bytes) -> tuple[int, str]:
    # As Windows does: the first Receive ends in an OperationTimeout fault (no output yet), then
    # the output comes in two parts, the last with CommandState Done and the exit code.
    if count == 1:
        return 500, _fault("w:TimedOut", 2150858793, "The WS-Management service cannot complete the "
                           "operation within the time specified in OperationTimeout.")
    half = len(stdout) // 2
    part = stdout[:half] if count == 2 else stdout[half:]
    stream = f'<rsp:Stream Name="stdout" CommandId="{command}">{base64.b64encode(part).decode()}</rsp:Stream>'
    if count == 2:
        return 200, (f"<rsp:ReceiveResponse>{stream}<rsp:CommandState CommandId=\"{command}\" "
                     f'State="{SHELL}/CommandState/Running"/></rsp:ReceiveResponse>')
    return 200, (f'<rsp:ReceiveResponse>{stream}<rsp:Stream Name="stdout" CommandId="{command}" End="true"/>'
                 f'<rsp:CommandState CommandId="{command}" State="{SHELL}/CommandState/Done">'
                 "<rsp:ExitCode>0</rsp:ExitCode></rsp:CommandState></rsp:ReceiveResponse>")


def _fault(subcode: str, code: int, text: str) -> str:
    return ("<s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode>"
            f"<s:Value>{subcode}</s:Value></s:Subcode></s:Code><s:Reason>"
            f'<s:Text xml:lang="en-US">{text}</s:Text></s:Reason><s:Detail>'
            f'<f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="{code}" '
            f'Machine="win-old-01"><f:Message>{text}</f:Message></f:WSManFault></s:Detail></s:Fault>')
