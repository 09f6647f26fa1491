"""Health and care: clinics, patients, doctors, visits, pets."""

from apiforge.engine.domain.entry import noun

NOUNS = (
    noun("patient", "full_name, date_of_birth:date, email?, phone?, insurance_number?"),
    noun("doctor", "name, specialty?, email?, phone?", parents="clinic?|hospital?|department?",
         also="physician, practitioner, therapist, dentist"),
    noun("nurse", "name, email?, shift?", parents="clinic?|hospital?|department?"),
    noun("clinic", "name, address, phone?", also="practice"),
    noun("hospital", "name, address, city?"),
    noun("visit", "date, reason, cost:num?, notes?", parents="patient|pet|customer, doctor?|vet?",
         also="consultation, checkup"),
    noun("prescription", "medication_name, dosage, instructions?, issued_on:date?",
         parents="patient, doctor?|visit?"),
    noun("medication", "name, dosage?, manufacturer?", also="medicine, drug"),
    noun("diagnosis", "code?, description, diagnosed_on:date?", plural="diagnoses",
         parents="patient|visit, doctor?"),
    noun("medical_record", "summary, recorded_on:date?", parents="patient", also="record, chart"),
    noun("lab_result", "test_name, value?, unit?, taken_on:date?", parents="patient|visit",
         also="test result"),
    noun("pet", "name, species:dog/cat/bird/rabbit/other, breed?, age:int?, vaccinated:bool",
         parents="owner?|customer?|client?|shelter?", also="animal"),
    noun("vet", "name, email?, phone?", parents="clinic?", also="veterinarian"),
    noun("shelter", "name, address?, phone?"),
    noun("adoption", "adopted_on:date?, status:pending/approved/completed?",
         parents="pet, adopter|customer|user|person"),
    noun("workout", "name, duration_minutes:int?, calories:int?, performed_at?",
         parents="user?|member?"),
    noun("exercise", "name, sets:int?, reps:int?, weight:num?", parents="workout?"),
    noun("meal_log", "description, calories:int?, eaten_at?", parents="user?"),
    noun("symptom", "name, severity:mild/moderate/severe?, noted_at?", parents="patient|user"),
)  # fmt: skip
