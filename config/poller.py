"""The dashboard's poller, answered before the URL is routed when there is nothing new.

An open dashboard with a video in flight asks every second, and most answers are "nothing new": a
204 decided from the poller's token and its creator's change mark alone (generations/updates.py).
This middleware, at the end of MIDDLEWARE, gives that answer to GET /generations/poll/ without
routing the URL or running the view machinery. The answer still goes back out through every other
middleware (the security headers, CSP, X-Frame-Options), as any view's does. Anything else goes on
to the view, which asks the same question first.
"""

from django.http import HttpResponse
from django.urls import reverse

from generations import updates


class PollerNothingNew:
    def __init__(self, get_response):
        self.get_response = get_response
        self.path = None  # the URLconf may not be loaded yet

    def __call__(self, request):
        if self.path is None:
            self.path = reverse("generation_poll")
        if request.path == self.path and request.method == "GET" and updates.nothing_new(request):
            request.route_name = "generation_poll"  # for the request timer: this answer is never routed
            return nothing_new()
        return self.get_response(request)


def nothing_new():
    response = HttpResponse(status=204)
    response["Cache-Control"] = "no-store"  # an answer is only true at the moment it is given
    return response
