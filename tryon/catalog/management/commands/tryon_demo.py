from django.conf import settings
from django.core.management.base import BaseCommand

from tryon.catalog.demo import demo_shop_create


class Command(BaseCommand):
    help = "Create the demo shop (merchant, staff login, garments, fashion models, poses, scenes). Idempotent."

    def handle(self, *args, **options):
        shop = demo_shop_create()
        self.stdout.write(self.style.SUCCESS(f"Demo shop ready: {shop.merchant.name} (/shop/{shop.merchant.slug}/)"))
        if shop.password:
            credentials = settings.VAR_DIR / "demo-login.txt"
            credentials.write_text(f"username: {shop.username}\npassword: {shop.password}\n")
            credentials.chmod(0o600)
            self.stdout.write(f"Merchant admin login: {shop.username} / {shop.password} (also in {credentials})")
