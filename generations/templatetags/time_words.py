"""Honest time on the cards (generations.estimates), with the moments static/js/time_left.js needs to keep
the words true as the seconds pass.

    {% load time_words %}
    {{ gen|waiting_estimate }}      a waiting video: "Starts in about 1-3 minutes, ready in about 2-4 minutes."
    {% time_left gen as left %}     a video being made: left.words, left.data()
"""

from django import template
from django.utils.html import format_html, format_html_join

from generations import estimates

register = template.Library()


def _span(kind, estimate):
    data = format_html_join(" ", 'data-{}="{}"', estimate.data().items())
    return format_html('<span class="time-left" data-time-left="{}" {}>{}</span>', kind, data, estimate.words)


@register.filter
def waiting_estimate(gen):
    """A waiting video's expected start and finish, as a span the page's clock keeps current; "" when
    nothing will start it by itself (paused, its model paused) or it is not waiting."""
    estimate = estimates.for_waiting(gen)
    return _span("waiting", estimate) if estimate else ""


@register.simple_tag
def time_left(gen):
    """The time left of a video being made (estimates.TimeLeft), or None."""
    return estimates.for_active(gen)


@register.filter
def time_left_span(left):
    """{{ left|time_left_span }}: the words of a TimeLeft in a span the page's clock keeps current."""
    return _span("active", left) if left else ""
