from django.http import HttpResponseBadRequest

NUL_REFUSED = "The request contains a NUL character (\\x00), which the studio does not accept anywhere."


class RefuseNulCharacters:
    """A NUL in the path, the query, a header, a cookie or a form field answers 400 before any view sees
    it: PostgreSQL cannot hold NUL in text, so it would reach a query (a filter, a session or cache key)
    and end as a 500. File contents may hold any byte; their names may not."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_nul(request):
            return HttpResponseBadRequest(NUL_REFUSED, content_type="text/plain")
        return self.get_response(request)


def _has_nul(request):
    query = request.META.get("QUERY_STRING", "")
    if "\x00" in request.path_info or "\x00" in query or "%00" in query:
        return True
    if any(key.startswith("HTTP_") and "\x00" in str(value) for key, value in request.META.items()):
        return True
    if any("\x00" in value for value in request.COOKIES.values()):  # "\000" in a quoted cookie is one
        return True
    if request.method != "POST":
        return False
    if request.content_type == "application/x-www-form-urlencoded":
        return b"%00" in request.body or b"\x00" in request.body
    if request.content_type == "multipart/form-data":
        fields = [(k, v) for k, values in request.POST.lists() for v in values]
        names = [(k, f.name or "") for k, files in request.FILES.lists() for f in files]
        return any("\x00" in k or "\x00" in v for k, v in fields + names)
    return False
