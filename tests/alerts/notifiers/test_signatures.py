"""The verifiers the fake provider servers use reproduce each provider's published worked example."""

from __future__ import annotations

from tests.alerts.notifiers.signatures import acs3_signature, tc3_signature


def test_acs3_reproduces_aliyuns_published_example() -> None:
    # V3 签名机制, 签名示例: RunInstances on ecs.cn-shanghai with the documented fixed values.
    headers = {
        "host": "ecs.cn-shanghai.aliyuncs.com",
        "x-acs-action": "RunInstances",
        "x-acs-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "x-acs-date": "2023-10-26T10:22:32Z",
        "x-acs-signature-nonce": "3156853299f313e23d1673dc12e1703d",
        "x-acs-version": "2014-05-26",
    }
    signature = acs3_signature(
        secret="YourAccessKeySecret", method="POST", path="/",
        query=[("ImageId", "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd"),
               ("RegionId", "cn-shanghai")],
        headers=headers, signed=sorted(headers), body=b"")
    assert signature == "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"


def test_tc3_reproduces_tencents_published_example() -> None:
    # 签名方法 v3, 签名过程: DescribeInstances on cvm with the documented (masked) key and timestamp.
    payload = b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
    signature = tc3_signature(
        secret_key="Gu5t9xGARNpq86cd98joQYCN3*******", service="cvm", timestamp=1551113065,
        method="POST", path="/", query="",
        headers={"content-type": "application/json; charset=utf-8", "host": "cvm.tencentcloudapi.com"},
        signed=["content-type", "host"], body=payload)
    assert signature == "2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c"
