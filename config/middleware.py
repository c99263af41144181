import json

from django.http import HttpResponseBadRequest, JsonResponse
from django.http.multipartparser import MultiPartParserError

NUL_REFUSED = "The request contains a NUL character (\\x00), which the studio does not accept anywhere."


class RefuseNulCharacters:
    """A NUL in the path, the query, a header, a cookie, a form field or a JSON string answers 400 before
    any view sees it: PostgreSQL cannot hold NUL in text, so it would reach a query (a filter, a session
    or cache key) and end as a 500. File contents may hold any byte; their names may not."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        api = request.path_info.startswith("/api/v1/")  # the API answers in its own JSON shape
        try:
            refused = _has_nul(request)
        except MultiPartParserError:
            if not api:
                raise
            return _api_refusal(
                "The request's multipart form data cannot be read. Send a picture as the field `picture`."
            )
        if refused:
            return _api_refusal(NUL_REFUSED) if api else HttpResponseBadRequest(NUL_REFUSED, content_type="text/plain")
        return self.get_response(request)


def _api_refusal(message):
    return JsonResponse({"error": {"code": "bad_request", "message": message}}, status=400)


def _has_nul(request):
    query = request.META.get("QUERY_STRING", "")
    if "\x00" in request.path_info or "\x00" in query or "%00" in query:
        return True
    if any(key.startswith("HTTP_") and "\x00" in str(value) for key, value in request.META.items()):
        return True
    if any("\x00" in value for value in request.COOKIES.values()):  # "\000" in a quoted cookie is one
        return True
    if request.method not in ("POST", "PUT", "PATCH"):
        return False
    if request.content_type == "application/json":  # the API's bodies; NUL can only come as \u0000
        return b"\\u0000" in request.body and _json_has_nul(request.body)
    if request.method != "POST":
        return False
    if request.content_type == "application/x-www-form-urlencoded":
        return b"%00" in request.body or b"\x00" in request.body
    if request.content_type == "multipart/form-data":
        fields = [(k, v) for k, values in request.POST.lists() for v in values]
        names = [(k, f.name or "") for k, files in request.FILES.lists() for f in files]
        return any("\x00" in k or "\x00" in v for k, v in fields + names)
    return False


def _json_has_nul(body):
    try:
        data = json.loads(body)
    except ValueError:
        return False  # not JSON: the view says so
    pending = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, str) and "\x00" in value:
            return True
        if isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return False
