import factory
from factory.django import DjangoModelFactory, ImageField

from prompts.poses import POSE_LIBRARY
from tryon.catalog.models import CatalogItem, FashionModel, Garment, Pose, Scene
from tryon.merchants.models import Merchant, User

FRONT_STANDING = next(iter(POSE_LIBRARY.values()))


class MerchantFactory(DjangoModelFactory):
    class Meta:
        model = Merchant

    name = factory.Sequence(lambda n: f"Boutique {n}")
    slug = factory.Sequence(lambda n: f"boutique-{n}")


class StaffFactory(DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"staff{n}")
    is_staff = True
    merchant = factory.SubFactory(MerchantFactory)
    password = factory.django.Password("correct horse battery staple")


class GarmentFactory(DjangoModelFactory):
    class Meta:
        model = Garment

    merchant = factory.SubFactory(MerchantFactory)
    name = factory.Sequence(lambda n: f"Garment {n}")
    category = "top"
    image = ImageField(color="#1f3a5f", width=96, height=128, format="JPEG")
    colour = "#1f3a5f"
    material = "cotton"
    description = "A relaxed crew-neck tee."


class CatalogItemFactory(DjangoModelFactory):
    class Meta:
        model = CatalogItem
        skip_postgeneration_save = True

    merchant = factory.SubFactory(MerchantFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n}")
    title = factory.Sequence(lambda n: f"Product {n}")

    @factory.post_generation
    def garments(self, create, extracted, **kwargs):
        if create:
            self.garments.set(extracted or [GarmentFactory(merchant=self.merchant)])


class FashionModelFactory(DjangoModelFactory):
    class Meta:
        model = FashionModel

    merchant = factory.SubFactory(MerchantFactory)
    name = factory.Sequence(lambda n: f"Model {n}")
    gender_presentation = "feminine"
    age_range = "25-34"
    body_type = "athletic"
    skin_tone = "brown"
    hair = "short curly black hair"


class PoseFactory(DjangoModelFactory):
    class Meta:
        model = Pose

    merchant = factory.SubFactory(MerchantFactory)
    name = FRONT_STANDING.name
    keypoints = factory.LazyFunction(lambda: [list(point) for point in FRONT_STANDING.keypoints])


class SceneFactory(DjangoModelFactory):
    class Meta:
        model = Scene

    merchant = factory.SubFactory(MerchantFactory)
    name = "Studio white"
    prompt = "seamless white studio backdrop, softbox lighting"
    negative_prompt = "shadows"


def shop_with_picks(merchant=None) -> dict:
    """A merchant with one catalog item and one of each pick: the start of most stories."""
    merchant = merchant or MerchantFactory()
    return {
        "merchant": merchant,
        "catalog_item": CatalogItemFactory(merchant=merchant),
        "fashion_model": FashionModelFactory(merchant=merchant),
        "pose": PoseFactory(merchant=merchant),
        "scene": SceneFactory(merchant=merchant),
    }
