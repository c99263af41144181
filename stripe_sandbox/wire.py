"""Stripe's wire format: form-encoded parameters with brackets (`line_items[0][price]=...`), JSON
objects back, and errors as `{"error": {"type", "message", "param", "code"}}`."""

import re
from urllib.parse import parse_qsl

from django.http import JsonResponse


class StripeApiError(Exception):
    def __init__(self, status, message, *, type="invalid_request_error", code=None, param=None):
        super().__init__(message)
        self.status, self.message, self.type, self.code, self.param = status, message, type, code, param

    def response(self):
        error = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
        if self.param:
            error["param"] = self.param
        return JsonResponse({"error": error}, status=self.status)


def invalid(message, param=None, code="parameter_invalid"):
    return StripeApiError(400, message, param=param, code=code)


def missing(param):
    return StripeApiError(400, f"Missing required param: {param}.", param=param, code="parameter_missing")


def not_found(kind, object_id, param="id"):
    return StripeApiError(404, f"No such {kind}: '{object_id}'", param=param, code="resource_missing")


_PART = re.compile(r"\[([^\[\]]*)\]")


def decode(text):
    """`a[b][0][c]=1&a[b][0][d]=2` -> {"a": {"b": [{"c": "1", "d": "2"}]}}."""
    root = {}
    for key, value in parse_qsl(text, keep_blank_values=True, strict_parsing=False):
        head, _, rest = key.partition("[")
        parts = [head] + _PART.findall("[" + rest) if rest else [head]
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise invalid(f"Invalid parameter: {key}.", param=head)
        if isinstance(node.get(parts[-1]), dict):
            raise invalid(f"Invalid parameter: {key}.", param=head)
        node[parts[-1]] = value
    return _lists(root)


def _lists(node):
    if not isinstance(node, dict):
        return node
    node = {key: _lists(value) for key, value in node.items()}
    if node and all(key.isdigit() for key in node):
        return [node[key] for key in sorted(node, key=int)]
    return node


def integer(value, param, minimum=0):
    if not isinstance(value, str) or not value.lstrip("-").isdigit():
        raise invalid(f"Invalid integer: {value}", param=param)
    number = int(value)
    if number < minimum:
        raise invalid(f"This value must be greater than or equal to {minimum}.", param=param)
    return number


def only(params, allowed, prefix=""):
    for name in params:
        if name not in allowed:
            raise invalid(f"Received unknown parameter: {prefix}{name}", param=prefix + name, code="parameter_unknown")
