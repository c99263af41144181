from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts.forms import EMAIL_TAKEN, LoginForm, PasswordResetForm, ProfileForm, SignupForm
from accounts.models import User


@sensitive_post_parameters("password1", "password2")
def signup(request):
    if request.user.is_authenticated:
        return redirect("dashboard")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = form.save()
        except IntegrityError:  # the same email signed up a moment ago (a double click)
            form.add_error("email", EMAIL_TAKEN)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome to the studio, {user.name}! Describe a video to make your first one.")
            return redirect("dashboard")
    return render(request, "accounts/signup.html", {"form": form})


login_view = auth_views.LoginView.as_view(authentication_form=LoginForm, redirect_authenticated_user=True)


@require_POST
def logout(request):
    auth_logout(request)
    messages.info(request, "You are logged out. See you soon.")
    return redirect("login")


@login_required
@sensitive_post_parameters("current_password")
def profile(request):
    # A fresh copy, so a rejected edit never shows up in the rest of the page as if it were saved.
    user = User.objects.get(pk=request.user.pk)
    form = ProfileForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your profile is saved.")
        return redirect("profile")
    return render(request, "accounts/profile.html", {"form": form, "creator": user})


def password_reset(request):
    # Links in the email point at SITE_URL, the studio's public address, whatever Host the request named.
    return auth_views.PasswordResetView.as_view(
        form_class=PasswordResetForm,
        email_template_name="registration/password_reset_email.txt",
        subject_template_name="registration/password_reset_subject.txt",
        extra_email_context={"site_url": settings.SITE_URL},
        success_url=reverse_lazy("password_reset_done"),
    )(request)
