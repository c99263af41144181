"""Where a webhook may go: the checks made when an endpoint is registered and again before every try.

A URL is refused unless every address its host resolves to is a public one: no private, loopback,
link-local (cloud metadata lives at 169.254.169.254), multicast, reserved or unspecified address.
Checking each address, and then connecting to the checked one (see delivery.py), means a host that
answers with a public address once and a private one the next time cannot lead a delivery inside.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings


class Refused(Exception):
    """The URL may not be used; the message says why, in plain words."""


def https_required():
    return settings.WEBHOOKS_REQUIRE_HTTPS


def check_url(url):
    """The URL's parts and the public addresses it resolves to, or Refused."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Refused("That is not a web address.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused("Give a full web address starting with https://.")
    if parts.scheme != "https" and https_required():
        raise Refused("Use an https:// address: deliveries carry your videos' details.")
    if parts.username or parts.password:
        raise Refused("Leave the user name and password out of the address.")
    port = port or (443 if parts.scheme == "https" else 80)
    return parts, port, resolve(parts.hostname, port)


def resolve(host, port):
    """Every address `host` resolves to, each checked; Refused if any is not public."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise Refused(f"{host} could not be found. Check the address.") from None
    addresses = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not allowed(address):
            raise Refused(f"{host} points to a private or local address ({address}); use a public address.")
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise Refused(f"{host} could not be found. Check the address.")
    return addresses


def allowed(address):
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address.is_loopback and settings.WEBHOOKS_ALLOW_LOOPBACK:
        return True  # tests and local development only: off by default
    return address.is_global and not (address.is_multicast or address.is_reserved or address.is_link_local)
