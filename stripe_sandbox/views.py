"""The stand-in's routes: the part of Stripe's API the studio calls (through the official `stripe`
library), the hosted checkout page a creator pays on, and a receipt page.

API calls need `Authorization: Bearer <settings.STRIPE_SECRET_KEY>` (in sandbox mode a key made from
the studio's SECRET_KEY); parameters come form-encoded, answers are Stripe's JSON objects and errors."""

import functools
import json
import time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt

from stripe_sandbox import events
from stripe_sandbox.models import IdempotentRequest, StripeObject, new_id
from stripe_sandbox.wire import StripeApiError, decode, integer, invalid, missing, not_found, only

DECLINED_CARD = "4000000000000002"
GOOD_CARDS = {"4242424242424242", "5555555555554444"}
SESSION_HOURS = 24
KINDS = {  # the retrievable objects, by their route
    "products": "product",
    "prices": "price",
    "checkout/sessions": "checkout.session",
    "payment_intents": "payment_intent",
    "charges": "charge",
}


def _key_ok(request):
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and constant_time_compare(key.strip(), settings.STRIPE_SECRET_KEY)


def api(view):
    """Key, parameters, idempotency and errors the way Stripe's API does them."""

    @csrf_exempt
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not _key_ok(request):
            return StripeApiError(401, "Invalid API Key provided.").response()
        text = request.body.decode() if request.method == "POST" else request.META.get("QUERY_STRING", "")
        idem = request.headers.get("Idempotency-Key") if request.method == "POST" else None
        if idem:
            done = IdempotentRequest.objects.filter(key=idem).first()
            if done is not None:
                if done.path != request.path or done.body != text:
                    return StripeApiError(
                        400,
                        "Keys for idempotent requests can only be used with the same parameters they were first used with.",
                        type="idempotency_error",
                    ).response()
                return JsonResponse(done.answer, status=done.status)
        try:
            params = decode(text)
            with transaction.atomic():
                answer, status = view(request, params, *args, **kwargs), 200
        except StripeApiError as error:
            answer, status = json.loads(error.response().content), error.status
        if idem:
            try:
                IdempotentRequest.objects.create(key=idem, path=request.path, body=text, status=status, answer=answer)
            except IntegrityError:
                pass
        response = JsonResponse(answer, status=status)
        response["Request-Id"] = "req_" + new_id("event")[4:]
        return response

    return wrapper


def _get(kind, object_id, param="id"):
    obj = StripeObject.objects.filter(pk=object_id, object=kind).first()
    if obj is None:
        raise not_found(kind.replace("checkout.", "checkout "), object_id, param)
    return obj


def _store(kind, data):
    obj_id = new_id(kind)
    obj = StripeObject.objects.create(
        id=obj_id,
        object=kind,
        data={"id": obj_id, "object": kind, "created": int(time.time()), "livemode": False, **data},
    )
    return obj


def _expand(data, paths):
    """Stripe's `expand[]`: ids at these (dotted) paths replaced by their objects."""
    for path in paths:
        head, _, rest = path.partition(".")
        value = data.get(head)
        if isinstance(value, str):
            found = StripeObject.objects.filter(pk=value).first()
            if found is None:
                continue
            value = data[head] = found.public()
        if rest and isinstance(value, dict):
            _expand(value, [rest])
    return data


def _metadata(params):
    metadata = params.get("metadata", {})
    if metadata == "":
        return {}
    if not isinstance(metadata, dict) or any(isinstance(v, (dict, list)) for v in metadata.values()):
        raise invalid("Invalid object", param="metadata")
    if len(metadata) > 50 or any(len(k) > 40 or len(v) > 500 for k, v in metadata.items()):
        raise invalid("Metadata can have up to 50 keys of 40 characters and values of 500.", param="metadata")
    return metadata


def _currency(value, param):
    if not isinstance(value, str) or len(value) != 3 or not value.isalpha():
        raise invalid(f"Invalid currency: {value}.", param=param)
    return value.lower()


# ---------------------------------------------------------------- products and prices


@api
def products(request, params):
    if request.method != "POST":
        raise invalid("Use POST to create a product.")
    only(params, {"name", "description", "metadata", "active"})
    if not params.get("name"):
        raise missing("name")
    return _store(
        "product",
        {
            "name": params["name"],
            "description": params.get("description"),
            "active": True,
            "metadata": _metadata(params),
        },
    ).public()


@api
def prices(request, params):
    if request.method != "POST":
        raise invalid("Use POST to create a price.")
    only(params, {"currency", "unit_amount", "product", "product_data", "metadata", "nickname"})
    for name in ("currency", "unit_amount"):
        if name not in params:
            raise missing(name)
    if "product" in params:
        product = _get("product", params["product"], "product").id
    elif isinstance(params.get("product_data"), dict) and params["product_data"].get("name"):
        product = _store("product", {"name": params["product_data"]["name"], "active": True, "metadata": {}}).id
    else:
        raise missing("product")
    return _store(
        "price",
        {
            "active": True,
            "currency": _currency(params["currency"], "currency"),
            "unit_amount": integer(params["unit_amount"], "unit_amount"),
            "product": product,
            "type": "one_time",
            "nickname": params.get("nickname"),
            "metadata": _metadata(params),
        },
    ).public()


# ---------------------------------------------------------------- checkout sessions

SESSION_PARAMS = {
    "mode",
    "line_items",
    "metadata",
    "client_reference_id",
    "success_url",
    "cancel_url",
    "customer_email",
    "expand",
}


def _line(index, item):
    param = f"line_items[{index}]"
    if not isinstance(item, dict):
        raise invalid("Invalid object", param=param)
    only(item, {"price", "price_data", "quantity"}, prefix=f"{param}[")
    quantity = integer(item.get("quantity", ""), f"{param}[quantity]", minimum=1) if "quantity" in item else None
    if quantity is None:
        raise missing(f"{param}[quantity]")
    if ("price" in item) == ("price_data" in item):
        raise invalid(f"You must specify either `price` or `price_data` in {param}.", param=param)
    if "price" in item:
        price = _get("price", item["price"], f"{param}[price]").data
        if not price["active"]:
            raise invalid(f"The price `{price['id']}` is not active.", param=f"{param}[price]")
        name = StripeObject.objects.get(pk=price["product"]).data["name"]
        currency, amount = price["currency"], price["unit_amount"]
    else:
        data = item["price_data"]
        if not isinstance(data, dict):
            raise invalid("Invalid object", param=f"{param}[price_data]")
        only(data, {"currency", "unit_amount", "product", "product_data"}, prefix=f"{param}[price_data][")
        for name in ("currency", "unit_amount"):
            if name not in data:
                raise missing(f"{param}[price_data][{name}]")
        currency = _currency(data["currency"], f"{param}[price_data][currency]")
        amount = integer(data["unit_amount"], f"{param}[price_data][unit_amount]")
        if "product" in data:
            name = _get("product", data["product"], f"{param}[price_data][product]").data["name"]
        elif isinstance(data.get("product_data"), dict) and data["product_data"].get("name"):
            name = data["product_data"]["name"]
        else:
            raise missing(f"{param}[price_data][product_data]")
    return {"description": name, "currency": currency, "unit_amount": amount, "quantity": quantity}


def _url(params, name, required):
    value = params.get(name)
    if value is None:
        if required:
            raise missing(name)
        return None
    if not value.startswith(("http://", "https://")):
        raise invalid("Not a valid URL", param=name, code="url_invalid")
    return value


@api
def sessions(request, params):
    if request.method != "POST":
        raise invalid("Use POST to create a checkout session.")
    only(params, SESSION_PARAMS)
    mode = params.get("mode")
    if mode is None:
        raise missing("mode")
    if mode in ("subscription", "setup"):
        raise invalid(f"The stand-in does not support mode={mode} yet: only payment.", param="mode")
    if mode != "payment":
        raise invalid("Invalid mode: must be one of payment, setup, or subscription", param="mode")
    items = params.get("line_items")
    if not isinstance(items, list) or not items:
        raise missing("line_items")
    lines = [_line(i, item) for i, item in enumerate(items)]
    if len({line["currency"] for line in lines}) > 1:
        raise invalid("All line items must be in the same currency.", param="line_items")
    total = sum(line["unit_amount"] * line["quantity"] for line in lines)
    if total < 50:
        raise invalid("The Checkout Session's total amount due must add up to at least 0.50 usd", param="line_items")
    session = _store(
        "checkout.session",
        {
            "amount_subtotal": total,
            "amount_total": total,
            "cancel_url": _url(params, "cancel_url", False),
            "client_reference_id": params.get("client_reference_id") or None,
            "currency": lines[0]["currency"],
            "customer": None,
            "customer_details": None,
            "customer_email": params.get("customer_email") or None,
            "expires_at": int(time.time()) + SESSION_HOURS * 3600,
            "metadata": _metadata(params),
            "mode": "payment",
            "payment_intent": None,
            "payment_status": "unpaid",
            "status": "open",
            "success_url": _url(params, "success_url", True),
            "url": None,
            "_lines": lines,
        },
    )
    session.data["url"] = request.build_absolute_uri(reverse("stripe_sandbox:pay", args=[session.id]))
    session.save(update_fields=["data"])
    return _expand(session.public(), params.get("expand") or [])


@api
def retrieve(request, params, kind, object_id):
    if request.method != "GET":
        raise invalid("Use GET to retrieve an object.")
    if kind not in KINDS:
        raise StripeApiError(404, f"Unrecognized request URL (GET: {request.path}).")
    only(params, {"expand"})
    return _expand(_get(KINDS[kind], object_id).public(), params.get("expand") or [])


@api
def expire(request, params, object_id):
    """Ends an open session unpaid, as Stripe does after 24 hours (or when asked), with its event."""
    session = StripeObject.objects.select_for_update().filter(pk=object_id, object="checkout.session").first()
    if session is None:
        raise not_found("checkout session", object_id)
    if session.data["status"] != "open":
        raise invalid("Only Checkout Sessions with a status of open can be expired.", code="checkout_session_not_open")
    session.data.update(status="expired", url=None)
    session.save(update_fields=["data"])
    event = events.make("checkout.session.expired", session.public())
    transaction.on_commit(lambda: events.send(event))
    return session.public()


@csrf_exempt
def unknown(request):
    return StripeApiError(404, f"Unrecognized request URL ({request.method}: {request.path}).").response()


# ---------------------------------------------------------------- the hosted page


def _return_url(session, key):
    return session.data[key].replace("{CHECKOUT_SESSION_ID}", session.id)


@csrf_exempt
def pay(request, session_id):
    """Stripe's hosted checkout page: a test card pays, 4000 0000 0000 0002 is declined."""
    session = get_object_or_404(StripeObject, pk=session_id, object="checkout.session")
    error = ""
    if request.method == "POST" and session.data["status"] == "open":
        card = "".join(ch for ch in request.POST.get("card", "") if ch.isdigit())
        if card == DECLINED_CARD:
            error = "Your card was declined."
        elif card not in GOOD_CARDS:
            error = "Your card number is incorrect. Use a test card: 4242 4242 4242 4242."
        else:
            event = _complete(request, session_id, card)
            if event is not None:
                events.send(event)  # after the commit: the studio reads what was just written
            return redirect(_return_url(session, "success_url"))
    elif request.method not in ("GET", "HEAD", "POST"):
        raise Http404
    return render(
        request,
        "stripe_sandbox/checkout.html",
        {
            "session": session.data,
            "lines": session.data["_lines"],
            "error": error,
            "amount": _money(session.data["amount_total"], session.data["currency"]),
            "cancel": _return_url(session, "cancel_url") if session.data["cancel_url"] else "",
        },
        status=402 if error else 200,
    )


def _complete(request, session_id, card):
    """The session paid: a payment intent, a charge with its receipt, the event. None when it was
    already complete (a double click)."""
    with transaction.atomic():
        session = StripeObject.objects.select_for_update().get(pk=session_id)
        if session.data["status"] != "open":
            return None
        amount, currency = session.data["amount_total"], session.data["currency"]
        charge = _store(
            "charge",
            {
                "amount": amount,
                "currency": currency,
                "paid": True,
                "status": "succeeded",
                "payment_method_details": {
                    "card": {"brand": "visa" if card[0] == "4" else "mastercard", "last4": card[-4:]}
                },
                "receipt_url": None,
            },
        )
        charge.data["receipt_url"] = request.build_absolute_uri(reverse("stripe_sandbox:receipt", args=[charge.id]))
        intent = _store(
            "payment_intent",
            {
                "amount": amount,
                "amount_received": amount,
                "currency": currency,
                "status": "succeeded",
                "latest_charge": charge.id,
                "metadata": session.data["metadata"],
            },
        )
        charge.data["payment_intent"] = intent.id
        charge.save(update_fields=["data"])
        email = session.data["customer_email"]
        session.data.update(
            status="complete",
            payment_status="paid",
            payment_intent=intent.id,
            url=None,
            customer_details={"email": email, "name": None},
        )
        session.save(update_fields=["data"])
        return events.make("checkout.session.completed", session.public())


def _money(cents, currency):
    return f"{cents / 100:,.2f} {currency.upper()}"


def receipt(request, charge_id):
    charge = get_object_or_404(StripeObject, pk=charge_id, object="charge")
    amount = _money(charge.data["amount"], charge.data["currency"])
    return render(request, "stripe_sandbox/receipt.html", {"charge": charge.data, "amount": amount})
