"""Storefront API keys from the command line: create (the key is printed once), list, revoke."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tryon.api.selectors import storefront_key_list
from tryon.api.services import storefront_key_create, storefront_key_revoke
from tryon.merchants.models import Merchant


def _merchant(slug: str) -> Merchant:
    merchant = Merchant.objects.filter(slug=slug).first()
    if merchant is None:
        choices = ", ".join(Merchant.objects.values_list("slug", flat=True)) or "none yet"
        raise CommandError(f"--merchant: no merchant {slug!r}; choose from {choices}")
    return merchant


class Command(BaseCommand):
    help = "Create, list or revoke storefront API keys."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="make a key and print it (shown only this once)")
        create.add_argument("--merchant", required=True, help="merchant slug")
        create.add_argument("--name", required=True, help="which storefront the key is for")
        listing = actions.add_parser("list", help="list keys (never their secrets)")
        listing.add_argument("--merchant", help="only this merchant's keys")
        revoke = actions.add_parser("revoke", help="revoke a key at once")
        revoke.add_argument("prefix", help="the key's prefix, as `list` shows it")

    def handle(self, *args, action, **options):
        getattr(self, f"_{action}")(**options)

    def _create(self, *, merchant, name, **_):
        try:
            key, secret = storefront_key_create(merchant=_merchant(merchant), name=name)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(secret)
        self.stderr.write(f"Key {key.prefix} for {key.merchant.slug} ({key.name}). It is shown only now: store it.")

    def _list(self, *, merchant=None, **_):
        keys = storefront_key_list(merchant=_merchant(merchant) if merchant else None)
        for key in keys:
            state = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.is_revoked else "active"
            used = f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never"
            self.stdout.write(f"{key.prefix}  {key.merchant.slug}  {key.name!r}  {state}  last used {used}")
        if not keys:
            self.stderr.write("No keys.")

    def _revoke(self, *, prefix, **_):
        key = storefront_key_list().filter(prefix=prefix.removeprefix("tryon_sk_")).first()
        if key is None:
            raise CommandError(f"No key with prefix {prefix!r}; see `tryon_apikey list`.")
        was_revoked = key.is_revoked
        key = storefront_key_revoke(key=key)
        self.stdout.write(f"{key.prefix} {'was already' if was_revoked else 'is now'} revoked.")
