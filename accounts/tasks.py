"""django-q2 task functions for accounts, called by name from schedules."""

from accounts import credits


def grant_allowances():
    return credits.grant_allowances()
