from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


@login_required
def dashboard(request):
    return render(request, "studio/dashboard.html")
