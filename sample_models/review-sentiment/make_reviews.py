"""Writes data/reviews.jsonl: labelled app reviews for training, from a small grammar.

Run ``python make_reviews.py`` to regenerate (deterministic, seed 20261124). The held-out
reviews in data/heldout.jsonl are written by hand, in other words than this grammar's,
so that the test measures generalisation rather than template recall.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

SUBJECTS = ["this app", "the app", "the new update", "the latest version", "this tool", "the mobile app",
            "version 4", "the redesign", "the free tier", "the premium plan"]
ASPECTS = ["battery usage", "the interface", "syncing", "login", "notifications", "dark mode", "search",
           "offline mode", "photo upload", "customer support", "checkout", "loading time", "the widgets",
           "backup", "the calendar view", "payments", "the map", "the settings screen", "playback",
           "the keyboard", "sharing", "the editor", "two-factor login", "the tablet layout", "exporting"]
POSITIVE = ["{a} works flawlessly", "{a} is fast and reliable", "I love how smooth {a} is", "{a} is intuitive",
            "really impressed with {a}", "{a} finally works great", "{a} is a joy to use", "excellent {a}",
            "{a} saves me so much time", "best {a} I have seen", "{a} is rock solid", "super helpful {a}",
            "{a} is beautifully designed", "the developers improved {a} a lot", "{a} never lets me down",
            "{a} is simple and clean", "no problems at all with {a}", "{a} is awesome", "{s} is brilliant",
            "{s} does exactly what I need", "{s} made my day easier", "{s} is perfect", "{s} is wonderful",
            "{s} is well worth the price", "{a} is smooth and quick", "I enjoy {a} every day",
            "no ads and a fair price", "{s} is cheap and does the job", "the price is fair for {a}",
            "support answered quickly and solved my issue", "the team fixed my bug within a day",
            "they responded within minutes and sorted it out"]
NEGATIVE = ["{a} keeps crashing", "{a} is painfully slow", "{a} is broken again", "I hate how buggy {a} is",
            "{a} drains my phone", "{a} is confusing", "{a} stopped working after the update", "terrible {a}",
            "{a} loses my data", "{a} freezes constantly", "worst {a} ever", "{a} is useless",
            "{a} is full of ads", "support ignored my complaint about {a}", "{a} never loads",
            "{a} is not worth it", "{a} does not work", "{a} is awful", "{s} is a mess", "{s} is garbage",
            "{s} keeps logging me out", "{s} is unusable", "{s} wasted my money", "{s} is so frustrating",
            "{a} is laggy and unreliable", "{a} fails every time", "ads everywhere in {a}",
            "the subscription costs twice as much now", "{s} is far too expensive",
            "they raised the price and removed {a}", "{s} shows an ad after every tap"]
OPEN_POS = ["Great app!", "Love it.", "Five stars.", "Highly recommend.", "Wow.", "", "", "So good.",
            "Really happy with it.", "Fantastic."]
OPEN_NEG = ["Disappointed.", "Avoid.", "One star.", "Ugh.", "", "", "Really frustrating.", "Not happy.",
            "Terrible experience.", "Very annoying."]
CLOSE_POS = ["Keep up the good work!", "Worth every penny.", "Would recommend to friends.", "Thank you devs!",
             "", "", "Love it.", "Amazing job."]
CLOSE_NEG = ["Uninstalling.", "I want my money back.", "Please fix this.", "Waste of time.", "", "",
             "Deleting it now.", "Avoid this one."]


def review(rng: random.Random, positive: bool) -> str:
    main, other = (POSITIVE, NEGATIVE) if positive else (NEGATIVE, POSITIVE)
    clauses = [rng.choice(main).format(a=rng.choice(ASPECTS), s=rng.choice(SUBJECTS))
               for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.2:  # a mixed review: one clause of the other polarity, outweighed
        clauses.insert(rng.randrange(len(clauses) + 1),
                       "although " + rng.choice(other).format(a=rng.choice(ASPECTS), s=rng.choice(SUBJECTS)))
        clauses.append(rng.choice(main).format(a=rng.choice(ASPECTS), s=rng.choice(SUBJECTS)))
    body = ". ".join(c[0].upper() + c[1:] for c in clauses) + "."
    opener = rng.choice(OPEN_POS if positive else OPEN_NEG)
    closer = rng.choice(CLOSE_POS if positive else CLOSE_NEG)
    return " ".join(part for part in (opener, body, closer) if part)


def main() -> None:
    rng = random.Random(20261124)
    out = Path(__file__).parent / "data" / "reviews.jsonl"
    with out.open("w") as f:
        for i in range(400):
            positive = i % 2 == 0
            record = {"id": f"r{i:04d}", "text": review(rng, positive), "label": "positive" if positive else "negative"}
            f.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
