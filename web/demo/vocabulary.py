"""The words demo tutors are made of: names, cities, headlines and bios in Ukrainian, Polish
and English, so that search demos mean something ("математика", "matematyka", "maths",
"Łódź"). Data only; `web.demo.seed` draws from it."""

from __future__ import annotations

UK_FIRST = ["Олена", "Андрій", "Марія", "Тарас", "Оксана", "Богдан", "Ірина", "Дмитро", "Наталія", "Іван",
            "Юлія", "Олександр", "Софія", "Максим", "Катерина", "Василь", "Анастасія", "Ярослав", "Галина", "Остап"]
UK_LAST = ["Шевченко", "Коваленко", "Бондаренко", "Ткаченко", "Кравченко", "Мельник", "Олійник", "Шевчук",
           "Поліщук", "Бойко", "Лисенко", "Савченко", "Руденко", "Мороз", "Гончаренко", "Левченко", "Павленко"]
PL_FIRST = ["Łukasz", "Agnieszka", "Piotr", "Małgorzata", "Krzysztof", "Katarzyna", "Paweł", "Żaneta",
            "Michał", "Zofia", "Grzegorz", "Anna", "Tomasz", "Ewa", "Jakub", "Joanna", "Wojciech", "Magdalena"]
PL_LAST = ["Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski", "Zieliński",
           "Szymański", "Woźniak", "Dąbrowski", "Kozłowski", "Jankowski", "Mazur", "Krawczyk", "Łukaszewicz"]
EN_FIRST = ["Emma", "Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Jack", "Sophie", "Thomas",
            "Grace", "William", "Charlotte", "James", "Lucy", "Daniel"]
EN_LAST = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Clarke",
           "Evans", "Walker", "Wright", "Thompson", "Hughes", "Edwards"]

CITIES = {
    "uk": ["Київ", "Львів", "Харків", "Одеса", "Дніпро", "Вінниця", "Чернівці"],
    "pl": ["Łódź", "Kraków", "Wrocław", "Gdańsk", "Poznań", "Warszawa", "Białystok"],
    "en": ["London", "Manchester", "Edinburgh", "Bristol", "Leeds"],
}
TIMEZONES = {"uk": "Europe/Kyiv", "pl": "Europe/Warsaw", "en": "Europe/London"}

# Headlines per subject and tutor's language; "{city}" is filled in.
HEADLINES: dict[str, dict[str, list[str]]] = {
    "math": {
        "uk": ["Математика для НМТ та олімпіад", "Алгебра і геометрія з нуля", "Репетитор з математики, {city}"],
        "pl": ["Matematyka do matury rozszerzonej", "Korepetycje z matematyki, {city}", "Matematyka bez stresu"],
        "en": ["Maths tutor for GCSE and A-level", "Algebra and calculus made clear", "Patient maths tutor in {city}"],
    },
    "physics": {
        "uk": ["Фізика для НМТ: механіка та електрика", "Фізика для школярів, {city}"],
        "pl": ["Fizyka do matury", "Korepetycje z fizyki, {city}"],
        "en": ["Physics from mechanics to quantum", "A-level physics tutor"],
    },
    "chemistry": {
        "uk": ["Хімія: органіка та задачі", "Хімія для вступників"],
        "pl": ["Chemia organiczna i nieorganiczna", "Chemia do matury, {city}"],
        "en": ["Chemistry tutor, organic and inorganic", "GCSE chemistry help"],
    },
    "biology": {
        "uk": ["Біологія для НМТ", "Біологія та анатомія з лікарем"],
        "pl": ["Biologia do matury", "Biologia i anatomia, {city}"],
        "en": ["Biology tutor for medical school applicants", "A-level biology"],
    },
    "english": {
        "uk": ["Англійська для IELTS та розмовна", "Англійська мова для дітей, {city}"],
        "pl": ["Angielski konwersacje i FCE", "Język angielski dla firm, {city}"],
        "en": ["IELTS and Cambridge English preparation", "Native English speaker, conversation practice"],
    },
    "ukrainian": {
        "uk": ["Українська мова та література для НМТ", "Українська для іноземців, {city}"],
        "pl": ["Język ukraiński od podstaw"],
        "en": ["Ukrainian for beginners"],
    },
    "polish": {
        "uk": ["Польська мова для переїзду та Карти поляка", "Польська з нуля"],
        "pl": ["Polski dla obcokrajowców, {city}", "Język polski do egzaminu B1"],
        "en": ["Polish for expats"],
    },
    "german": {
        "uk": ["Німецька мова: Goethe-Zertifikat", "Німецька для роботи"],
        "pl": ["Niemiecki do matury", "Język niemiecki, {city}"],
        "en": ["German for beginners and travellers"],
    },
    "history": {
        "uk": ["Історія України для НМТ", "Всесвітня історія цікаво"],
        "pl": ["Historia do matury", "Historia Polski, {city}"],
        "en": ["History tutor, essays and exams"],
    },
    "geography": {
        "uk": ["Географія для НМТ"],
        "pl": ["Geografia do matury"],
        "en": ["Geography tutor, physical and human"],
    },
    "computer-science": {
        "uk": ["Програмування на Python з нуля", "Інформатика та алгоритми, {city}"],
        "pl": ["Programowanie w Pythonie", "Informatyka do matury"],
        "en": ["Python programming and algorithms", "Computer science for A-level"],
    },
    "music": {
        "uk": ["Фортепіано для дітей і дорослих", "Гітара та сольфеджіо, {city}"],
        "pl": ["Lekcje gry na pianinie, {city}", "Gitara dla początkujących"],
        "en": ["Piano lessons for all ages", "Guitar lessons in {city}"],
    },
}
BIOS = {
    "uk": [
        "Викладаю {years} років, готую до НМТ та олімпіад. Заняття онлайн і у місті {city}.",
        "Пояснюю складне простими словами. Мої учні вступають до найкращих університетів.",
        "Індивідуальний підхід, домашні завдання з перевіркою та звіт батькам щомісяця.",
    ],
    "pl": [
        "Uczę od {years} lat, przygotowuję do matury i olimpiad. Zajęcia online oraz w mieście {city}.",
        "Cierpliwie tłumaczę trudne tematy. Moi uczniowie zdają maturę na wysokim poziomie.",
        "Indywidualne podejście i materiały po każdej lekcji.",
    ],
    "en": [
        "Teaching for {years} years, preparing students for exams. Online or in person in {city}.",
        "I explain difficult topics step by step and set clear goals for every lesson.",
        "Friendly, structured lessons with homework feedback and progress reports.",
    ],
}
CERTIFICATIONS = ["CELTA", "DELTA", "TEFL", "Cambridge C2 Proficiency", "Goethe-Zertifikat C1",
                  "Сертифікат УЦОЯО", "Certyfikat CKE egzaminatora", "AWS Certified Developer",
                  "ABRSM Grade 8 Piano", "Диплом магістра педагогіки"]
SUBJECT_LANGUAGE = {"english": "en", "ukrainian": "uk", "polish": "pl", "german": "de"}
FALLBACK_SUBJECTS = ["math", "physics", "chemistry", "biology", "english", "ukrainian", "polish", "german",
                     "history", "geography", "computer-science", "music"]
