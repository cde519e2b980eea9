from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Case, When

from tryon.catalog.models import FashionModel, Pose, Scene


class PickField(forms.ModelChoiceField):
    """A pick that, on a submitted form, is looked up among the rows the view read for the whole press in one
    query (`known`: id -> row, tryon.shop.selectors.shop_tryon_rows) instead of one query per field."""

    known: dict | None = None

    def to_python(self, value):
        if self.known is None or value in self.empty_values:
            return super().to_python(value)
        if (row := self.known.get(str(value))) is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return row


class TryOnForm(forms.Form):
    """A shopper's picks, as radio groups; the querysets are narrowed to the shop's merchant in __init__.

    Shoppers only ever pick: prompts come from the merchant's catalog, never from a text box.
    """

    fashion_model = PickField(
        queryset=FashionModel.objects.none(), label="Model", empty_label=None, widget=forms.RadioSelect
    )
    pose = PickField(queryset=Pose.objects.none(), empty_label=None, widget=forms.RadioSelect)
    scene = PickField(queryset=Scene.objects.none(), empty_label=None, widget=forms.RadioSelect)

    def __init__(self, *args, picks: dict, yours: FashionModel | None = None, known: dict | None = None, **kwargs):
        """`known`: the picked rows already read ({field: row or None}, tryon.shop.selectors.shop_tryon_rows)."""
        super().__init__(*args, **kwargs)
        self.yours_id = yours.pk if yours is not None else None
        if known is not None:
            for name in ("fashion_model", "pose", "scene"):
                self.fields[name].known = {str(row.pk): row for row in [known[name]] if row is not None}
            if yours is not None:
                self.fields["fashion_model"].known[str(yours.pk)] = yours
        if yours is not None:  # the shopper's own model (tryon.shoppers), first: what they set up to try on
            models = picks["fashion_models"] | FashionModel.objects.filter(pk=yours.pk)
            picks = {**picks, "fashion_models": models.order_by(Case(When(pk=yours.pk, then=0), default=1), "name")}
        for name, key in (("fashion_model", "fashion_models"), ("pose", "poses"), ("scene", "scenes")):
            self.fields[name].queryset = picks[key]
            if not self.is_bound:  # a submitted form has its picks: no query for a default it never shows
                first = picks[key].first()
                self.fields[name].initial = first.pk if first else None  # a first try is one press away
