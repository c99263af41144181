"""django-q2 task functions: thin entries into generations.tracking, called by name."""

from generations import imaging, tracking


def submit_generation(generation_id):
    return tracking.submit(generation_id)


def sweep():
    return tracking.sweep()


def download_result(generation_id):
    return tracking.download(generation_id)


def make_pictures(request_id):
    return imaging.make(request_id)
