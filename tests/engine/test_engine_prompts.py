"""First prompts, phrased the way people write them, and the spec the engine reads from each."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from apiforge.engine import parse_prompt
from apiforge.engine.spec import ApiSpec


@dataclass(frozen=True)
class Case:
    prompt: str
    # resource -> {field: type}; only the listed fields are checked, but every resource is
    fields: dict[str, dict[str, str]]
    relations: set[tuple[str, str]] = field(default_factory=set)  # (child, parent)
    features: set[str] = field(default_factory=set)
    optional: set[str] = field(default_factory=set)  # "resource.field" that must be optional
    choices: dict[str, list[str]] = field(default_factory=dict)  # "resource.field" -> values


CASES = [
    Case(
        "a library API with books (title, author, isbn, published year, price) and members "
        "(name, email)",
        {
            "books": {"title": "text", "author": "text", "isbn": "text",
                      "published_year": "integer", "price": "number"},
            "members": {"name": "text", "email": "email"},
        },
    ),
    Case(
        "Build an API for recipes. Each recipe has a name, a list of ingredients, cook time in "
        "minutes and a difficulty (easy, medium, hard).",
        {"recipes": {"name": "text", "ingredients": "list", "cook_time_minutes": "integer",
                     "difficulty": "enum"}},
        choices={"recipes.difficulty": ["easy", "medium", "hard"]},
    ),
    Case(
        "Todo API\n- tasks: title, optional description, due date, completed\n"
        "- users: name, email\nTasks are assigned to users. Add pagination and API key auth.",
        {"tasks": {"title": "text", "description": "text", "due_date": "date",
                   "completed": "boolean"}, "users": {"name": "text", "email": "email"}},
        relations={("tasks", "users")},
        features={"pagination", "api_key_auth"},
        optional={"tasks.description", "tasks.completed"},
    ),
    Case(
        "Create a blog API with posts and comments. A post has many comments. Posts have a "
        "title, body, published flag and tags. Comments have an author name and text.",
        {"posts": {"title": "text", "body": "text", "published": "boolean", "tags": "list"},
         "comments": {"author_name": "text", "text": "text"}},
        relations={("comments", "posts")},
    ),
    Case(
        "I need a REST API for a bookstore with books and authors. Each book belongs to an "
        "author. Books have a title, price and stock. Authors have name and bio.",
        {"books": {"title": "text", "price": "number", "stock": "integer"},
         "authors": {"name": "text", "bio": "text"}},
        relations={("books", "authors")},
    ),
    Case(
        "An API to manage products, orders and customers with pagination, filtering and sorting",
        {"products": {}, "orders": {"status": "enum"}, "customers": {}},
        relations={("orders", "customers")},  # from the domain table
        features={"pagination", "filtering", "sorting"},
    ),
    Case(
        "Make me an inventory service. Products: name, sku, quantity, price, is_active. "
        "Warehouses: name, city. Each product belongs to a warehouse. Include soft delete, "
        "timestamps and a health endpoint.",
        {"products": {"sku": "text", "quantity": "integer", "is_active": "boolean"},
         "warehouses": {"name": "text", "city": "text"}},
        relations={("products", "warehouses")},
        features={"soft_delete", "timestamps", "health"},
    ),
    Case(
        "events api where each event has a title, starts at, location, capacity and a status "
        "which is one of draft, published or cancelled. people can register: attendees have "
        "name, email and phone number. an attendee belongs to an event. cors enabled, bearer "
        "token auth",
        {"events": {"starts_at": "datetime", "capacity": "integer", "status": "enum"},
         "attendees": {"email": "email", "phone_number": "text"}},
        relations={("attendees", "events")},
        features={"cors", "bearer_auth"},
        choices={"events.status": ["draft", "published", "cancelled"]},
    ),
    Case(
        "simple crud api for people with name, age and email",
        {"people": {"name": "text", "age": "integer", "email": "email"}},
    ),
    Case(
        "API for categories and products. Each product belongs to a category. Categories have "
        "a name and an optional description. Products have a name, price, weight and rating.",
        {"categories": {"name": "text", "description": "text"},
         "products": {"price": "number", "weight": "number", "rating": "number"}},
        relations={("products", "categories")},
        optional={"categories.description"},
    ),
    Case(
        "Employees (first name, last name, email, salary, hired on date) and departments "
        "(name, budget). Employees belong to departments.",
        {"employees": {"first_name": "text", "salary": "number", "hired_on_date": "date"},
         "departments": {"name": "text", "budget": "number"}},
        relations={("employees", "departments")},
    ),
    Case(
        "I want a movie api. movies: title, release year, genre (action, comedy, drama), "
        "runtime in minutes, imdb url. reviews: rating, comment. a movie has many reviews. "
        "let users search movies and sort by rating",
        {"movies": {"release_year": "integer", "genre": "enum", "runtime_minutes": "integer",
                    "imdb_url": "url"}, "reviews": {"rating": "integer", "comment": "text"}},
        relations={("reviews", "movies")},
        features={"search", "sorting"},
    ),
    Case(
        "Need endpoints for tickets. A ticket has a subject, a description, a priority that can "
        "be one of low, normal or urgent, and an is_resolved flag. Protect it with an API key.",
        {"tickets": {"subject": "text", "priority": "enum", "is_resolved": "boolean"}},
        features={"api_key_auth"},
        choices={"tickets.priority": ["low", "normal", "urgent"]},
    ),
    Case(
        "Design a fitness tracker backend with workouts (name, duration in minutes, calories, "
        "performed at) and exercises (name, sets, reps). Each exercise belongs to a workout.",
        {"workouts": {"duration_minutes": "integer", "calories": "integer",
                      "performed_at": "datetime"}, "exercises": {"sets": "integer"}},
        relations={("exercises", "workouts")},
    ),
    Case(
        "Build a REST API to track my plants. Each plant has a name, species, last watered "
        "date, and a watering interval in days. Add timestamps please.",
        {"plants": {"species": "text", "last_watered_date": "date",
                    "watering_interval_days": "integer"}},
        features={"timestamps"},
    ),
    Case(
        "Hotel booking API: rooms (number, floor, price per night, is_available) and guests "
        "(full name, email, birthday). Bookings belong to a room and each booking belongs to a "
        "guest. Bookings have check in date and check out date.",
        {"rooms": {"floor": "integer", "is_available": "boolean"},
         "guests": {"email": "email", "birthday": "date"},
         "bookings": {"check_in_date": "date", "check_out_date": "date"}},
        relations={("bookings", "rooms"), ("bookings", "guests")},
    ),
    Case(
        "can you build an api for notes with title, body and tags? it should support full text "
        "search and pagination",
        {"notes": {"title": "text", "body": "text", "tags": "list"}},
        features={"search", "pagination"},
    ),
    Case(
        "A school API. Students have name, email and grade level. Courses have title, code, "
        "credits. Teachers have name, email. Courses are taught by teachers.",
        {"students": {"grade_level": "integer"}, "courses": {"credits": "integer"},
         "teachers": {"email": "email"}},
        relations={("courses", "teachers")},
    ),
    Case(
        "Create an API with two resources: authors and articles. Articles are written by "
        "authors. An article has a headline, body, published at and a word count.",
        {"authors": {}, "articles": {"headline": "text", "published_at": "datetime",
                                     "word_count": "integer"}},
        relations={("articles", "authors")},
    ),
    Case(
        "Make a pet adoption service with pets (name, species (dog, cat, rabbit), age, "
        "vaccinated, adopted) and shelters (name, address, phone). pets belong to shelters. "
        "Use bearer tokens for auth, and soft delete.",
        {"pets": {"species": "enum", "age": "integer", "vaccinated": "boolean",
                  "adopted": "boolean"}, "shelters": {"address": "text"}},
        relations={("pets", "shelters")},
        features={"bearer_auth", "soft_delete"},
    ),
    Case(
        "we need an api to manage invoices and clients. invoices have an amount, a due date, a "
        "paid flag and optional notes. clients have a company name, contact email and website. "
        "each invoice belongs to a client.",
        {"invoices": {"amount": "number", "due_date": "date", "paid": "boolean",
                      "notes": "text"},
         "clients": {"company_name": "text", "contact_email": "email", "website": "url"}},
        relations={("invoices", "clients")},
        optional={"invoices.notes"},
    ),
    Case(
        "Songs API — songs with title, artist, duration in seconds, explicit (yes/no), and a "
        "list of genres. Filter by artist and sort by title.",
        {"songs": {"title": "text", "artist": "text", "duration_seconds": "integer",
                   "explicit": "boolean", "genres": "list"}},
        features={"filtering", "sorting"},
    ),
    Case(
        "Vehicles: make, model, year, mileage, price, vin\nOwners: name, phone, email\n"
        "A vehicle belongs to an owner.",
        {"vehicles": {"make": "text", "year": "integer", "price": "number", "vin": "text"},
         "owners": {"phone": "text", "email": "email"}},
        relations={("vehicles", "owners")},
    ),
    Case(
        "api for a gym: members with name, email, membership type (basic, premium) and joined "
        "on date; classes with title, capacity and starts at.",
        {"members": {"membership_type": "enum", "joined_on_date": "date"},
         "classes": {"capacity": "integer", "starts_at": "datetime"}},
    ),
    Case(
        "Projects and issues. A project has many issues. Projects: name, description. Issues: "
        "title, severity (minor, major, critical), is_open, reported at. CORS for my frontend "
        "and a health check.",
        {"projects": {"name": "text"},
         "issues": {"severity": "enum", "is_open": "boolean", "reported_at": "datetime"}},
        relations={("issues", "projects")},
        features={"cors", "health"},
    ),
    Case(
        "Create an API for a coffee shop menu. Drinks have a name, size (small, medium, large), "
        "price and an is_seasonal flag.",
        {"drinks": {"size": "enum", "price": "number", "is_seasonal": "boolean"}},
    ),
    Case(
        "Give me a URL shortener API: links with a target url, a slug, click count and "
        "expires at.",
        {"links": {"target_url": "url", "slug": "text", "click_count": "integer",
                   "expires_at": "datetime"}},
    ),
    Case(
        "Build an api with quizzes and questions. Each question belongs to a quiz. A question "
        "has prompt text, points and a correct answer. Quizzes have a title and a time limit in "
        "minutes.",
        {"quizzes": {"title": "text", "time_limit_minutes": "integer"},
         "questions": {"points": "integer", "correct_answer": "text"}},
        relations={("questions", "quizzes")},
    ),
    Case(
        "a recipe sharing backend with users and recipes; users have username, email, avatar "
        "url; recipes have title, servings, prep time in minutes, vegetarian; recipes are "
        "created by users. authentication with api keys, paginate everything",
        {"users": {"username": "text", "email": "email", "avatar_url": "url"},
         "recipes": {"servings": "integer", "prep_time_minutes": "integer",
                     "vegetarian": "boolean"}},
        relations={("recipes", "users")},
        features={"api_key_auth", "pagination"},
    ),
    Case(
        "CRUD endpoints for contacts: first name, last name, email, phone, birthday, notes "
        "(optional).",
        {"contacts": {"first_name": "text", "birthday": "date", "notes": "text"}},
        optional={"contacts.notes"},
    ),
    Case(
        "Build a library API. Books have a title, an isbn and a publication date. Loans have a "
        "due date and a returned flag. Each loan belongs to a book. Members have name and "
        "email; a member has many loans.",
        {"books": {"publication_date": "date"}, "loans": {"due_date": "date",
                                                           "returned": "boolean"},
         "members": {"email": "email"}},
        relations={("loans", "books"), ("loans", "members")},
    ),
    Case(
        "Please create a weather station API. Stations: name, latitude, longitude. Readings: "
        "temperature as number, humidity as number, recorded at. readings belong to stations. "
        "Sort and filter readings.",
        {"stations": {"latitude": "number", "longitude": "number"},
         "readings": {"temperature": "number", "humidity": "number",
                      "recorded_at": "datetime"}},
        relations={("readings", "stations")},
        features={"sorting", "filtering"},
    ),
    Case(
        "Warehouse API with suppliers (company name, email) and shipments (tracking number, "
        "weight, shipped on date, delivered). A supplier has many shipments. I want soft "
        "deletes and created/updated timestamps.",
        {"suppliers": {"company_name": "text"},
         "shipments": {"tracking_number": "text", "weight": "number",
                       "shipped_on_date": "date", "delivered": "boolean"}},
        relations={("shipments", "suppliers")},
        features={"soft_delete", "timestamps"},
    ),
    Case(
        "api for courses with title, description, price, level which can be beginner, "
        "intermediate or advanced, published",
        {"courses": {"title": "text", "price": "number", "level": "enum",
                     "published": "boolean"}},
        choices={"courses.level": ["beginner", "intermediate", "advanced"]},
    ),
    Case(
        "Parking garage API. Spots have a code, a level and an is_occupied flag. Cars have a "
        "plate number and color. A car can be assigned to a spot.",
        {"spots": {"code": "text", "level": "integer", "is_occupied": "boolean"},
         "cars": {"plate_number": "text", "color": "text"}},
        relations={("cars", "spots")},
    ),
    Case(
        "Job board: companies (name, website, industry) and jobs (title, salary, remote, "
        "posted on date). Each job belongs to a company. Need search over jobs, pagination "
        "and filtering by remote.",
        {"companies": {"website": "url"},
         "jobs": {"salary": "number", "remote": "boolean", "posted_on_date": "date"}},
        relations={("jobs", "companies")},
        features={"search", "pagination", "filtering"},
    ),
    Case(
        "Build me a podcast API: podcasts have a title, host, feed url and language. Episodes "
        "have a title, episode number, duration in minutes and a published at timestamp. a "
        "podcast has many episodes.",
        {"podcasts": {"feed_url": "url", "language": "text"},
         "episodes": {"duration_minutes": "integer", "published_at": "datetime"}},
        relations={("episodes", "podcasts")},
    ),
    Case(
        "An API for tracking expenses with amount, category (food, transport, rent, fun), "
        "spent on date and an optional note. No auth needed.",
        {"expenses": {"amount": "number", "category": "enum", "spent_on_date": "date",
                      "note": "text"}},
        optional={"expenses.note"},
    ),
    Case(
        "Sports league API with teams (name, city, founded year) and players (name, position, "
        "jersey number, height, weight). Players belong to teams. Teams have many players.",
        {"teams": {"founded_year": "integer"},
         "players": {"position": "integer", "height": "number", "weight": "number"}},
        relations={("players", "teams")},
    ),
    Case(
        "manage warehouses and bins. bins: label, capacity, is_full. bins belong to warehouses.",
        {"warehouses": {}, "bins": {"label": "text", "capacity": "integer",
                                    "is_full": "boolean"}},
        relations={("bins", "warehouses")},
    ),
    Case(
        "I'd like an API for a small clinic: patients have a full name, date of birth, email "
        "and an insurance number. Appointments have a scheduled at datetime, a reason and a "
        "status (booked, done, cancelled). Each appointment belongs to a patient. API key "
        "auth, pagination, sorting, health endpoint.",
        {"patients": {"full_name": "text", "date_of_birth": "date", "email": "email"},
         "appointments": {"scheduled_at": "datetime", "reason": "text", "status": "enum"}},
        relations={("appointments", "patients")},
        features={"api_key_auth", "pagination", "sorting", "health"},
    ),
]  # fmt: skip


def _check(spec: ApiSpec, case: Case) -> None:
    assert {resource.name for resource in spec.resources} == set(case.fields)
    for resource in spec.resources:
        types = {f.name: f.type for f in resource.fields}
        expected = case.fields[resource.name]
        assert {name: types.get(name) for name in expected} == expected, resource.name
    links = {(r.name, rel.target) for r in spec.resources for rel in r.relations}
    assert links == case.relations
    assert set(spec.features) == case.features
    for path in case.optional:
        resource_name, field_name = path.split(".")
        owner = spec.resource(resource_name)
        assert owner is not None
        found = owner.field(field_name)
        assert found is not None and not found.required, path
    for path, values in case.choices.items():
        owner = spec.resource(path.split(".")[0])
        assert owner is not None
        found = owner.field(path.split(".")[1])
        assert found is not None and found.choices == values


def test_there_are_at_least_forty_prompts() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", CASES, ids=[c.prompt[:40] for c in CASES])
def test_prompt_is_read_into_the_expected_spec(case: Case) -> None:
    _check(parse_prompt(case.prompt), case)
