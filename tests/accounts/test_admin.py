import pytest
from django.urls import reverse

from accounts.models import User


@pytest.mark.django_db
def test_an_operator_adds_a_creator_with_an_email_in_the_admin(client, operator):
    client.force_login(operator)

    response = client.post(reverse("admin:accounts_user_add"), {
        "email": "new@example.com", "username": "new-creator", "display_name": "New Creator",
        "usable_password": "true", "password1": "a-long-enough-secret-9", "password2": "a-long-enough-secret-9",
    })

    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(email="new@example.com")
    assert (user.username, user.display_name) == ("new-creator", "New Creator")
    assert client.get(reverse("admin:accounts_user_changelist") + "?q=new").status_code == 200
