from django import template

from generations import waiting

register = template.Library()


@register.simple_tag
def waiting_words(gen):
    """{% waiting_words gen as words %}: why a waiting video waits and its place in line (generations.waiting)."""
    return waiting.describe(gen)
