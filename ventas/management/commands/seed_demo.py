"""Build a believable Puerto Varas spa: clients, services and two years of bookings.

Deterministic for a given --seed and --today. Every later trigger finds someone
to act on: new clients, regulars, VIPs, long-inactive clients, birthdays
(29 February included), clients without email or with broken phones, evening
tubs and upcoming visits.
"""

import datetime
import random
import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from faker import Faker
from tqdm import tqdm

from ventas.models import Cliente, ReservaServicio, Servicio, VentaReserva

SERVICES = [
    # nombre, precio_base CLP, duracion min, categoria, tipo
    ("Tina caliente Calbuco", 45_000, 120, "Tinas", "tina"),
    ("Tina caliente Osorno", 50_000, 120, "Tinas", "tina"),
    ("Tina caliente Llanquihue (nocturna)", 55_000, 120, "Tinas", "tina"),
    ("Masaje relajante 60 min", 38_000, 60, "Masajes", "masaje"),
    ("Masaje descontracturante", 42_000, 60, "Masajes", "masaje"),
    ("Masaje con piedras calientes", 48_000, 75, "Masajes", "masaje"),
    ("Masaje en pareja", 72_000, 60, "Masajes", "masaje"),
    ("Cabaña Arrayán (noche)", 89_000, 1440, "Alojamiento", "cabaña"),
    ("Cabaña Ulmo (noche)", 99_000, 1440, "Alojamiento", "cabaña"),
    ("Desayuno sureño", 12_000, 45, "Gastronomía", "otro"),
    ("Tabla de quesos y vino", 18_000, 60, "Gastronomía", "otro"),
]

CITIES = ["Puerto Varas", "Puerto Montt", "Osorno", "Frutillar", "Llanquihue", "Santiago", "Valdivia", "Concepción"]

# Monthly demand: winter (rainy, tubs) and the January-February holidays are high season.
SEASONALITY = {1: 1.5, 2: 1.5, 3: 0.9, 4: 0.8, 5: 0.9, 6: 1.3, 7: 1.5, 8: 1.2, 9: 1.0, 10: 0.8, 11: 0.8, 12: 1.1}

# (profile, share, visits range, activity window in days ago (oldest, newest))
PROFILES = [
    ("prospect", 0.08, (0, 0), (0, 0)),
    ("one_timer", 0.40, (1, 1), (730, 1)),
    ("occasional", 0.22, (2, 5), (730, 1)),
    ("vip", 0.12, (6, 14), (730, 1)),
    ("lapsed_vip", 0.05, (6, 10), (730, 120)),
    ("lapsed", 0.09, (1, 4), (730, 95)),
    ("new_recent", 0.04, (1, 1), (35, 1)),
]


class Command(BaseCommand):
    help = _("Crea datos de demostración: clientes, servicios y dos años de reservas.")

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=2000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--today", type=datetime.date.fromisoformat, default=None, help="YYYY-MM-DD")
        parser.add_argument("--reset", action="store_true", help=_("Borra los datos de ventas existentes antes."))
        parser.add_argument(
            "--history-days",
            type=int,
            default=0,
            help=_("Días de historial de comunicaciones a sintetizar (0: ninguno; make demo usa 365)."),
        )

    def handle(self, *args, clients, seed, today, reset, history_days, **options):
        if clients < 1:
            raise CommandError(_("--clients debe ser al menos 1."))
        if Cliente.objects.exists() and not reset:
            raise CommandError(
                _(
                    "La base ya tiene clientes; no se crean datos de demostración dos veces. "
                    "Usa --reset para reemplazarlos."
                )
            )
        today = today or timezone.localdate()
        with transaction.atomic():
            if reset:
                ReservaServicio.objects.all().delete()
                VentaReserva.objects.all().delete()
                Cliente.objects.all().delete()
                Servicio.objects.all().delete()
            counts = DemoBuilder(seed, today).build(clients)
        self.stdout.write(
            self.style.SUCCESS(
                _("Listo: %(clientes)d clientes, %(reservas)d reservas, %(servicios)d servicios reservados.") % counts
            )
        )
        if history_days > 0:
            # By command name: ventas never imports communications.
            from django.core.management import call_command

            call_command(
                "seed_history", days=history_days, seed=seed, today=today, stdout=self.stdout, stderr=self.stderr
            )


class DemoBuilder:
    def __init__(self, seed: int, today: datetime.date):
        self.rng = random.Random(seed)
        self.fake = Faker("es_CL")
        self.fake.seed_instance(seed)
        self.today = today
        self.tz = timezone.get_default_timezone()
        self.used_phones: set[str] = set()

    def build(self, n_clients: int) -> dict:
        services = Servicio.objects.bulk_create(
            [Servicio(nombre=n, precio_base=p, duracion=d, categoria=c, tipo_servicio=t) for n, p, d, c, t in SERVICES]
        )
        profiles = [self.rng.choices(PROFILES, weights=[p[1] for p in PROFILES])[0] for _ in range(n_clients)]
        clientes = Cliente.objects.bulk_create(
            [self.make_cliente(i, profile) for i, profile in enumerate(profiles)], batch_size=1000
        )
        ventas, lines = [], []
        # Same rule as communications.progress (ventas never imports communications): a bar on a terminal only.
        bar = tqdm(
            zip(clientes, profiles, strict=True),
            total=len(clientes),
            desc=_("Clientes"),
            unit=_("clientes"),
            file=sys.stderr,
            disable=not sys.stderr.isatty(),
            leave=False,
        )
        for cliente, profile in bar:
            for visit_day in self.visit_days(cliente, profile):
                venta, items = self.make_booking(cliente, visit_day, services)
                ventas.append(venta)
                lines.append(items)
        VentaReserva.objects.bulk_create(ventas, batch_size=1000)
        items = [item for venta, group in zip(ventas, lines, strict=True) for item in self.attach(venta, group)]
        ReservaServicio.objects.bulk_create(items, batch_size=1000)
        return {"clientes": len(clientes), "reservas": len(ventas), "servicios": len(items)}

    # --- clients -----------------------------------------------------------
    def make_cliente(self, i: int, profile) -> Cliente:
        rng = self.rng
        first, last = self.fake.first_name(), self.fake.last_name()
        has_email = rng.random() < 0.85
        domain = self.fake.free_email_domain()
        email = f"{_ascii(first)}.{_ascii(last)}{rng.randint(1, 999)}@{domain}" if has_email else ""
        created = self.today - datetime.timedelta(days=self.first_visit_ago(profile))
        return Cliente(
            nombre=f"{first} {last} {self.fake.last_name()}",
            email=email.lower(),
            telefono=self.make_phone(),
            fecha_nacimiento=self.make_birthday(i),
            pais="Chile",
            ciudad=rng.choices(CITIES, weights=[30, 20, 10, 8, 6, 14, 6, 6])[0],
            created_at=self.at(created, datetime.time(rng.randint(9, 21), rng.choice([0, 15, 30, 45]))),
        )

    def first_visit_ago(self, profile) -> int:
        oldest, newest = profile[3]
        return self.rng.randint(max(newest, 1), max(oldest, 1)) if oldest else self.rng.randint(1, 400)

    def make_phone(self) -> str | None:
        roll = self.rng.random()
        if roll < 0.02:
            return None  # walk-in client who gave no phone
        if roll < 0.03:
            return self.unique(lambda: f"{self.rng.randint(10, 9999)}")  # broken legacy data
        if roll < 0.045:
            return self.unique(lambda: f"+5411{self.rng.randint(10_000_000, 99_999_999)}")  # Argentina (Buenos Aires)
        if roll < 0.055:
            return self.unique(lambda: f"+5665{self.rng.randint(2_000_000, 2_999_999)}")  # Puerto Varas landline
        return self.unique(lambda: f"+569{self.rng.randint(30_000_000, 99_999_999)}")

    def unique(self, make) -> str:
        value = make()
        while value in self.used_phones:
            value = make()
        self.used_phones.add(value)
        return value

    def make_birthday(self, i: int) -> datetime.date | None:
        rng = self.rng
        if rng.random() < 0.2:
            return None
        year = rng.randint(1950, 2004)
        if i % 400 == 7:
            return datetime.date(1992, 2, 29)  # leap-day birthdays exist
        if i % 90 == 3:
            # A few birthdays in the coming days, so the demo shows the trigger.
            soon = self.today + datetime.timedelta(days=rng.randint(0, 6))
            return _safe_date(year, soon.month, soon.day)
        return _safe_date(year, rng.randint(1, 12), rng.randint(1, 31))

    # --- bookings ------------------------------------------------------------
    def visit_days(self, cliente, profile) -> list[datetime.date]:
        name, _share, (lo, hi), (_oldest, newest) = profile
        n = self.rng.randint(lo, hi)
        if n == 0:
            return []
        first = timezone.localtime(cliente.created_at).date()
        span_end = self.today - datetime.timedelta(days=newest)
        days = [first]
        for _i in range(n - 1):
            days.append(self.seasonal_day(first, max(span_end, first)))
        # Some clients already have their next visit booked.
        if name in ("vip", "occasional", "new_recent") and self.rng.random() < 0.25:
            days.append(self.today + datetime.timedelta(days=self.rng.randint(0, 30)))
        return sorted(days)

    def seasonal_day(self, start: datetime.date, end: datetime.date) -> datetime.date:
        span = (end - start).days
        while True:
            day = start + datetime.timedelta(days=self.rng.randint(0, max(span, 0)))
            weight = SEASONALITY[day.month] * (1.4 if day.weekday() >= 4 else 0.9)
            if self.rng.random() < weight / 2.1:
                return day

    def make_booking(self, cliente, day: datetime.date, services):
        rng = self.rng
        n_items = rng.choices([1, 2, 3], weights=[60, 30, 10])[0]
        chosen = rng.sample(services, n_items)
        # Tubs run into the evening (last slot 22:30); massages 10-20; cabins check in at 15:00.
        start_hour = rng.choice([10, 11, 12, 14, 15, 16, 17, 18, 19, 20, 21, 22])
        start = datetime.time(start_hour, rng.choice([0, 30]))
        people = rng.choices([1, 2, 3, 4], weights=[25, 55, 10, 10])[0]
        items, clock = [], datetime.datetime.combine(day, start)
        total = 0
        for servicio in chosen:
            hora = datetime.time(15, 0) if servicio.tipo_servicio == "cabaña" else clock.time()
            if servicio.tipo_servicio == "masaje" and hora.hour >= 20:
                hora = datetime.time(19, 0)
            items.append(
                ReservaServicio(servicio=servicio, fecha_agendamiento=day, hora_inicio=hora, cantidad_personas=people)
            )
            total += servicio.precio_base * (people if servicio.tipo_servicio in ("masaje", "otro") else 1)
            clock += datetime.timedelta(minutes=min(servicio.duracion, 120))
        first_start = min(datetime.datetime.combine(day, i.hora_inicio) for i in items)
        estado, pagado = self.payment(day, total)
        venta = VentaReserva(
            cliente=cliente,
            fecha_creacion=self.at(day - datetime.timedelta(days=rng.randint(0, 20)), datetime.time(12)),
            fecha_reserva=timezone.make_aware(first_start, self.tz),
            total=total,
            pagado=pagado,
            saldo_pendiente=total - pagado,
            estado_pago=estado,
            estado_reserva="checkout" if day < self.today and estado != "cancelado" else "pendiente",
        )
        return venta, items

    def payment(self, day: datetime.date, total: int) -> tuple[str, int]:
        roll = self.rng.random()
        if day < self.today:
            if roll < 0.08:
                return "cancelado", 0
            if roll < 0.15:
                return "parcial", total // 2
            return "pagado", total
        if roll < 0.6:
            return "pendiente", 0
        if roll < 0.9:
            return "parcial", total // 2
        return "pagado", total

    def attach(self, venta, items):
        for item in items:
            item.venta_reserva = venta
        return items

    def at(self, day: datetime.date, time: datetime.time) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(day, time), self.tz)


def _safe_date(year: int, month: int, day: int) -> datetime.date:
    while True:
        try:
            return datetime.date(year, month, day)
        except ValueError:
            day -= 1


def _ascii(text: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", text) if c.isascii() and c.isalnum())
