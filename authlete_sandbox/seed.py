"""The worlds the sandbox can start from: an empty service, or the demo service with its people."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from authlete_sandbox import SERVICE_ID
from authlete_sandbox.store import Store
from authlete_sandbox.store.clients import client_create
from authlete_sandbox.store.grants import authorize

WORLDS = ("demo", "empty")

SERVICE_NAME = "Acme Account"
SERVICE_NUMBER = 3175
SERVICE_CREATED_AT = 1_704_067_200_000  # 2024-01-01T00:00:00Z
ISSUER = "https://as.example.com"

_HOUR = 3600
_DAY = 24 * _HOUR
_DAY_MS = _DAY * 1000


@dataclass(frozen=True)
class _Scope:
    name: str
    en: str
    ja: str
    fr: str
    sensitivity: str | None = None

    def as_authlete(self) -> dict[str, Any]:
        attributes = [{"key": "sensitivity", "value": self.sensitivity}] if self.sensitivity else []
        return {
            "name": self.name,
            "defaultEntry": False,
            "description": self.en,
            "descriptions": [{"tag": "ja", "value": self.ja}, {"tag": "fr", "value": self.fr}],
            "attributes": attributes,
        }


SCOPES = (
    _Scope(
        "openid",
        en="Sign you in with your Acme Account",
        ja="Acme アカウントでサインイン",
        fr="Vous connecter avec votre compte Acme",
    ),
    _Scope(
        "profile",
        en="See your name and profile picture",
        ja="名前とプロフィール写真の表示",
        fr="Voir votre nom et votre photo de profil",
    ),
    _Scope(
        "email",
        en="See your email address",
        ja="メールアドレスの表示",
        fr="Voir votre adresse e-mail",
    ),
    _Scope(
        "offline_access",
        en="Keep access when you are not using it",
        ja="使用していないときもアクセスを維持",
        fr="Garder l'accès quand vous ne l'utilisez pas",
    ),
    _Scope(
        "calendar.read",
        en="See your calendar events",
        ja="カレンダーの予定の表示",
        fr="Voir les événements de votre agenda",
    ),
    _Scope(
        "calendar.write",
        en="Create and change events in your calendar",
        ja="カレンダーの予定の作成と変更",
        fr="Créer et modifier des événements dans votre agenda",
        sensitivity="medium",
    ),
    _Scope(
        "contacts.read",
        en="See your contacts",
        ja="連絡先の表示",
        fr="Voir vos contacts",
    ),
    _Scope(
        "files.read",
        en="See and download your files",
        ja="ファイルの表示とダウンロード",
        fr="Voir et télécharger vos fichiers",
    ),
    _Scope(
        "files.write",
        en="Upload, change and delete your files",
        ja="ファイルのアップロード、変更、削除",
        fr="Importer, modifier et supprimer vos fichiers",
        sensitivity="high",
    ),
    _Scope(
        "photos.read",
        en="See your photos and albums",
        ja="写真とアルバムの表示",
        fr="Voir vos photos et vos albums",
    ),
    _Scope(
        "payments.read",
        en="See your payment history",
        ja="支払い履歴の表示",
        fr="Voir l'historique de vos paiements",
    ),
    _Scope(
        "payments.initiate",
        en="Make payments from your account",
        ja="アカウントからの支払い",
        fr="Effectuer des paiements depuis votre compte",
        sensitivity="high",
    ),
)

# Stable client IDs, shaped like Authlete's 14-digit ones, so tests and docs can name them.
INKWELL_NOTES = 17203958316027
TEMPO_PLANNER = 18865037129514
PRISM_PHOTO_BOOK = 19517730486603
LEDGERLY_BUDGET = 20134689057318
STRIDE_FITNESS = 21378806519935
WAYFARER_TRIPS = 22609153778061
CADENCE_RADIO = 23851370069187
SAFFRON_RECIPES = 25096613380755
MARGIN_BOOK_CLUB = 26331875093619
HARBOR_BACKUP = 27568039915063
HUDDLE_MEETINGS = 28803197630891
TALLY_INVOICES = 30157768301726
PIXEL_PRINT_SHOP = 31390516687073
ACME_COMMAND_LINE = 32677305198830
SPROUT_GARDEN_JOURNAL = 33918851063077
COUCH_TV = 35160397508659


@dataclass(frozen=True)
class _Client:
    client_id: int
    logo: str  # the file in authlete_sandbox/logos/, without ".svg"
    alias: str
    name: str
    description: str
    developer: str
    domain: str
    names: dict[str, str] = field(default_factory=dict)  # language tag -> name
    native: bool = False  # a public client on a device, rather than a confidential web app
    attributes: tuple[tuple[str, str], ...] = ()
    grant_types: tuple[str, ...] = ("AUTHORIZATION_CODE", "REFRESH_TOKEN")

    def as_authlete(self, public_url: str) -> dict[str, Any]:
        domain = self.domain
        client: dict[str, Any] = {
            "clientIdAlias": self.alias,
            "clientName": self.name,
            "description": self.description,
            "developer": self.developer,
            "clientType": "PUBLIC" if self.native else "CONFIDENTIAL",
            "applicationType": "NATIVE" if self.native else "WEB",
            "logoUri": f"{public_url}/_sandbox/logos/{self.logo}.svg",
            "clientUri": f"https://{domain}/",
            "policyUri": f"https://{domain}/privacy",
            "tosUri": f"https://{domain}/terms",
            "contacts": [f"support@{domain}"],
            "redirectUris": [
                f"{domain.replace('.', '-')}://callback" if self.native else f"https://{domain}/cb"
            ],
            "grantTypes": list(self.grant_types),
            "responseTypes": ["CODE"],
            "tokenAuthMethod": "NONE" if self.native else "CLIENT_SECRET_BASIC",
            "attributes": [{"key": key, "value": value} for key, value in self.attributes],
            "extension": {"requestableScopesEnabled": False},
        }
        if self.names:
            client["clientNames"] = [
                {"tag": tag, "value": name} for tag, name in self.names.items()
            ]
            client["descriptions"] = [{"tag": "en", "value": self.description}]
            # Apps that translate their name also translate their legal pages.
            for uris, page in (("policyUris", "privacy"), ("tosUris", "terms")):
                client[uris] = [
                    {"tag": tag, "value": f"https://{domain}/{tag}/{page}"} for tag in self.names
                ]
        return client


# In the order of their client numbers, which is the order the sandbox lists them in.
CLIENTS = (
    _Client(
        INKWELL_NOTES,
        "notebook",
        "inkwell-notes",
        "Inkwell Notes",
        "Notes and sketches that stay in sync on all your devices.",
        "dev-northwind",
        "inkwell.example",
        names={"ja": "インクウェル ノート", "fr": "Notes Inkwell"},
    ),
    _Client(
        TEMPO_PLANNER,
        "calendar",
        "tempo-planner",
        "Tempo Planner",
        "A shared planner for families and small teams.",
        "dev-acme",
        "tempo.example",
        names={"ja": "テンポ プランナー", "fr": "Agenda Tempo"},
    ),
    _Client(
        PRISM_PHOTO_BOOK,
        "photos",
        "prism-photo-book",
        "Prism Photo Book",
        "Turns your albums into printed photo books.",
        "dev-lumen-labs",
        "prism.example",
        names={"ja": "プリズム フォトブック"},
    ),
    _Client(
        LEDGERLY_BUDGET,
        "budget",
        "ledgerly-budget",
        "Ledgerly Budget",
        "Tracks your spending and sends a summary every month.",
        "dev-northwind",
        "ledgerly.example",
        names={"fr": "Budget Ledgerly"},
    ),
    _Client(
        STRIDE_FITNESS,
        "fitness",
        "stride-fitness",
        "Stride Fitness",
        "Logs your runs and rides and shares progress with friends.",
        "dev-fieldhouse",
        "stride.example",
        native=True,
    ),
    _Client(
        WAYFARER_TRIPS,
        "travel",
        "wayfarer-trips",
        "Wayfarer Trips",
        "Collects your bookings into one itinerary and adds them to your calendar.",
        "dev-acme",
        "wayfarer.example",
        names={"ja": "ウェイフェアラー トリップ", "fr": "Voyages Wayfarer"},
    ),
    _Client(
        CADENCE_RADIO,
        "music",
        "cadence-radio",
        "Cadence Radio",
        "Personal radio stations that follow your mood.",
        "dev-lumen-labs",
        "cadence.example",
        native=True,
    ),
    _Client(
        SAFFRON_RECIPES,
        "recipes",
        "saffron-recipes",
        "Saffron Recipes",
        "Weekly meal plans and shopping lists.",
        "dev-fieldhouse",
        "saffron.example",
        names={"fr": "Recettes Saffron"},
    ),
    _Client(
        MARGIN_BOOK_CLUB,
        "books",
        "margin-book-club",
        "Margin Book Club",
        "Reading groups with shared notes in the margins.",
        "dev-northwind",
        "margin.example",
    ),
    _Client(
        HARBOR_BACKUP,
        "backup",
        "harbor-backup",
        "Harbor Backup",
        "Backs up your files every night and keeps old versions.",
        "dev-acme",
        "harbor.example",
        names={"ja": "ハーバー バックアップ"},
    ),
    _Client(
        HUDDLE_MEETINGS,
        "meet",
        "huddle-meetings",
        "Huddle Meetings",
        "Video meetings at a time that suits everyone.",
        "dev-northwind",
        "huddle.example",
        names={"fr": "Réunions Huddle"},
    ),
    _Client(
        TALLY_INVOICES,
        "invoice",
        "tally-invoices",
        "Tally Invoices",
        "Sends invoices and pays suppliers for small businesses.",
        "dev-acme",
        "tally.example",
    ),
    _Client(
        PIXEL_PRINT_SHOP,
        "print",
        "pixel-print-shop",
        "Pixel Print Shop",
        "Prints your photos on paper, canvas and mugs.",
        "dev-lumen-labs",
        "pixelprint.example",
        names={"ja": "ピクセル プリントショップ"},
    ),
    _Client(
        ACME_COMMAND_LINE,
        "cli",
        "acme-cli",
        "Acme Command Line",
        "Acme's own command-line tool for your account.",
        "dev-acme",
        "cli.acme.example",
        native=True,
        # Marks Acme's own app, as Authlete's reference server does with a client attribute.
        attributes=(("first_party", "true"),),
    ),
    _Client(
        SPROUT_GARDEN_JOURNAL,
        "garden",
        "sprout-garden-journal",
        "Sprout Garden Journal",
        "Plans your beds and reminds you when to water.",
        "dev-fieldhouse",
        "sprout.example",
        names={"fr": "Journal du jardin Sprout"},
    ),
    _Client(
        COUCH_TV,
        "tv",
        "couch-tv",
        "Couch TV",
        "Watch your photos and playlists on the big screen.",
        "dev-lumen-labs",
        "couch.example",
        names={"ja": "カウチ TV"},
        native=True,
        grant_types=("DEVICE_CODE", "REFRESH_TOKEN"),
    ),
)

CLIENT_NAMES = {client.client_id: client.name for client in CLIENTS}
CLIENT_LOGOS = {client.client_id: client.logo for client in CLIENTS}

SUBJECT_JOHN = "john"
SUBJECT_ALICE = "alice"
SUBJECT_BOB = "bob"
# Holds "/" and "@" on purpose: it must never end up in a URL path.
SUBJECT_CAROL = "urn:acme:user/42@example.com"
DEMO_SUBJECTS = (SUBJECT_JOHN, SUBJECT_ALICE, SUBJECT_BOB, SUBJECT_CAROL)


@dataclass(frozen=True)
class _Authorization:
    """One completed authorization, made through the same path as /_sandbox/authorize."""

    subject: str
    client_id: int
    scopes: str  # space-separated
    age_days: float  # since the tokens were first issued
    refreshed_days: float | None  # since the last refresh; None = never refreshed
    access_seconds: int
    refresh_seconds: int | None  # None = no refresh token

    def apply(self, store: Store, now: int) -> None:
        refreshed = self.refreshed_days
        authorize(
            store,
            client_id=self.client_id,
            subject=self.subject,
            scopes=self.scopes.split(),
            refresh=self.refresh_seconds is not None,
            access_duration=self.access_seconds,
            refresh_duration=self.refresh_seconds,
            created_at=now - int(self.age_days * _DAY_MS),
            last_refreshed_at=None if refreshed is None else now - int(refreshed * _DAY_MS),
        )


_A = _Authorization
# Oldest first for each (subject, client), so the granted-scopes record ends up with the right
# "latest" and the union of them all as "merged".
AUTHORIZATIONS = (
    # john: 14 apps, more than one page of ten.
    _A(SUBJECT_JOHN, INKWELL_NOTES, "openid profile email files.read files.write offline_access",
       210, 0.1, _DAY, 365 * _DAY),
    # ... and later, on a second device, fewer scopes: latest and merged granted scopes differ.
    _A(SUBJECT_JOHN, INKWELL_NOTES, "openid profile files.read", 30, None, _DAY, 90 * _DAY),
    _A(SUBJECT_JOHN, TEMPO_PLANNER, "openid profile calendar.read calendar.write",
       45, 1, 7 * _DAY, 90 * _DAY),
    _A(SUBJECT_JOHN, PRISM_PHOTO_BOOK, "profile photos.read", 365, 3, 7 * _DAY, 180 * _DAY),
    _A(SUBJECT_JOHN, LEDGERLY_BUDGET, "email payments.read", 90, None, 120 * _DAY, 180 * _DAY),
    _A(SUBJECT_JOHN, STRIDE_FITNESS, "profile", 10, None, 30 * _DAY, None),
    _A(SUBJECT_JOHN, WAYFARER_TRIPS, "profile email calendar.read", 120, 2, 7 * _DAY, 180 * _DAY),
    _A(SUBJECT_JOHN, WAYFARER_TRIPS, "profile calendar.read", 15, None, 30 * _DAY, None),
    # Only an expired access token, but its refresh token still works.
    _A(SUBJECT_JOHN, CADENCE_RADIO, "profile offline_access", 60, 20, _HOUR, 90 * _DAY),
    # An expired access token and no refresh token: listed until introspection sweeps it.
    _A(SUBJECT_JOHN, SAFFRON_RECIPES, "profile email", 5, None, _DAY, None),
    _A(SUBJECT_JOHN, MARGIN_BOOK_CLUB, "profile contacts.read", 300, 60, 7 * _DAY, 365 * _DAY),
    _A(SUBJECT_JOHN, HARBOR_BACKUP, "files.read files.write offline_access",
       330, 0.02, _DAY, 365 * _DAY),
    _A(SUBJECT_JOHN, HARBOR_BACKUP, "files.read offline_access", 7, 1, _DAY, 365 * _DAY),
    _A(SUBJECT_JOHN, HUDDLE_MEETINGS, "openid profile calendar.read contacts.read",
       20, 0.5, _DAY, 60 * _DAY),
    _A(SUBJECT_JOHN, TALLY_INVOICES, "email payments.read payments.initiate",
       3, None, 7 * _DAY, 30 * _DAY),
    _A(SUBJECT_JOHN, PIXEL_PRINT_SHOP, "photos.read payments.initiate",
       150, None, 365 * _DAY, None),
    _A(SUBJECT_JOHN, ACME_COMMAND_LINE, "openid profile offline_access", 2, 0.01, _HOUR, 30 * _DAY),
    # alice: 3 apps, one of them not among john's.
    _A(SUBJECT_ALICE, INKWELL_NOTES, "profile email", 50, 1, 7 * _DAY, 90 * _DAY),
    _A(SUBJECT_ALICE, PRISM_PHOTO_BOOK, "photos.read", 12, None, 30 * _DAY, None),
    _A(SUBJECT_ALICE, SPROUT_GARDEN_JOURNAL, "profile", 200, 10, 30 * _DAY, 365 * _DAY),
    # carol: 2 apps. bob has none, to show the empty state.
    _A(SUBJECT_CAROL, TEMPO_PLANNER, "openid calendar.read", 25, 2, 7 * _DAY, 90 * _DAY),
    _A(SUBJECT_CAROL, COUCH_TV, "profile photos.read", 8, None, 30 * _DAY, 180 * _DAY),
)  # fmt: skip

_CLIENT_ORDER = [client.client_id for client in CLIENTS]

# The client IDs each demo subject has authorized, in the order the sandbox lists them.
DEMO_GRANTS: dict[str, tuple[int, ...]] = {
    subject: tuple(
        sorted(
            {a.client_id for a in AUTHORIZATIONS if a.subject == subject}, key=_CLIENT_ORDER.index
        )
    )
    for subject in DEMO_SUBJECTS
}


def load(store: Store, world: str) -> None:
    """Fill an empty store with a world: the service alone, or the demo clients and people too."""
    store.install_service(_service())
    if world != "demo":
        return
    for number, client in enumerate(CLIENTS, start=1001):
        client_create(
            store,
            client.as_authlete(store.public_url),
            client_id=client.client_id,
            number=number,
            created_at=SERVICE_CREATED_AT + number * _DAY_MS,
        )
    now = int(time.time() * 1000)
    for authorization in AUTHORIZATIONS:
        authorization.apply(store, now)


def _service() -> dict[str, Any]:
    return {
        "number": SERVICE_NUMBER,
        "serviceName": SERVICE_NAME,
        "apiKey": int(SERVICE_ID),
        "description": "Sign-in and APIs for Acme Account customers.",
        "issuer": ISSUER,
        "authorizationEndpoint": f"{ISSUER}/authorize",
        "tokenEndpoint": f"{ISSUER}/token",
        "revocationEndpoint": f"{ISSUER}/revoke",
        "introspectionEndpoint": f"{ISSUER}/introspect",
        "registrationEndpoint": f"{ISSUER}/register",
        "dynamicRegistrationSupported": True,
        "supportedGrantTypes": [
            "AUTHORIZATION_CODE",
            "REFRESH_TOKEN",
            "CLIENT_CREDENTIALS",
            "DEVICE_CODE",
        ],
        "supportedResponseTypes": ["CODE"],
        "supportedScopes": [scope.as_authlete() for scope in SCOPES],
        "accessTokenType": "Bearer",
        "accessTokenDuration": _HOUR,
        "refreshTokenDuration": 30 * _DAY,
        "clientIdAliasEnabled": True,
        "pkceRequired": True,
        "singleAccessTokenPerSubject": False,
        # Off unless a service turns it on (authlete-java-common Service.java); tests that need
        # RFC 7592's 401 turn it on through POST /_sandbox/service.
        "unauthorizedOnClientConfigSupported": False,
        "attributes": [{"key": "environment", "value": "sandbox"}],
        "createdAt": SERVICE_CREATED_AT,
        "modifiedAt": SERVICE_CREATED_AT,
    }
