"""The zone works in Chinese: an English browser still gets zh-Hans until the user switches."""

from __future__ import annotations

from django.urls import reverse

from tests.conftest import client_for


def test_english_browser_gets_chinese_until_the_switch(org):
    c = client_for(org.officer_a)
    response = c.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Content-Language"] == "zh-hans" and '<html lang="zh-hans">' in response.content.decode()
    c.post(reverse("set_language"), {"language": "en", "next": reverse("home")})
    response = c.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert response["Content-Language"] == "en" and '<html lang="en">' in response.content.decode()
    c.post(reverse("set_language"), {"language": "xx", "next": reverse("home")})
    assert c.get(reverse("home"))["Content-Language"] == "en"
