from django import forms

from tryon.catalog.models import FashionModel, Pose, Scene


class TryOnForm(forms.Form):
    """A shopper's picks, as radio groups; the querysets are narrowed to the shop's merchant in __init__.

    Shoppers only ever pick: prompts come from the merchant's catalog, never from a text box.
    """

    fashion_model = forms.ModelChoiceField(
        queryset=FashionModel.objects.none(), label="Model", empty_label=None, widget=forms.RadioSelect
    )
    pose = forms.ModelChoiceField(queryset=Pose.objects.none(), empty_label=None, widget=forms.RadioSelect)
    scene = forms.ModelChoiceField(queryset=Scene.objects.none(), empty_label=None, widget=forms.RadioSelect)

    def __init__(self, *args, picks: dict, **kwargs):
        super().__init__(*args, **kwargs)
        for name, key in (("fashion_model", "fashion_models"), ("pose", "poses"), ("scene", "scenes")):
            self.fields[name].queryset = picks[key]
            if not self.is_bound:  # a submitted form has its picks: no query for a default it never shows
                first = picks[key].first()
                self.fields[name].initial = first.pk if first else None  # a first try is one press away
