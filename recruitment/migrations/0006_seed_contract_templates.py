"""The worker-language sections of the unified contract: English, Bahasa Indonesia and Tagalog.

The ministry edits them, and adds other languages, in the admin site; this only creates the missing ones.
Placeholders are listed in recruitment/contracts.py.
"""

from django.db import migrations

ENGLISH = """{{ worker_name }}, this is the summary of your work contract in English. The full contract, in Arabic and English, binds you and your employer equally.

1. Your employer is {{ employer_name }}, who lives in {{ employer_city }}, Saudi Arabia. You are recruited through the licensed recruitment office {{ office_name }} (telephone {{ office_phone }}).

2. You will work as {{ occupation }} in your employer's home. You may not be given work of another kind, dangerous work, or work for anyone else.

3. Your wage is {{ salary }} Saudi riyals a month. It is paid at the end of every month through the Musaned platform, and nothing may be taken from it to pay for your recruitment: your employer pays all recruitment costs.

4. The contract lasts {{ months }} months from the day you arrive in Saudi Arabia. The first {{ guarantee_days }} days are a trial period.

5. You have a daily rest of at least {{ rest_hours }} hours, a weekly day off, and one month of paid leave after two years of work.

6. Your employer gives you suitable housing, food and medical care. Your passport and papers are yours: nobody may keep them from you.

7. If you have a problem with your employer or the office, you can file a complaint on Musaned, in your language.

Contract number: {{ contract_number }}. Please accept or decline this contract by {{ decision_due }} (Saudi Arabia time)."""

INDONESIAN = """{{ worker_name }}, ini adalah ringkasan kontrak kerja Anda dalam bahasa Indonesia. Kontrak lengkap dalam bahasa Arab dan bahasa Inggris mengikat Anda dan majikan Anda secara setara.

1. Majikan Anda adalah {{ employer_name }}, yang tinggal di {{ employer_city }}, Arab Saudi. Anda direkrut melalui kantor perekrutan berizin {{ office_name }} (telepon {{ office_phone }}).

2. Anda akan bekerja sebagai {{ occupation }} di rumah majikan Anda. Anda tidak boleh diberi pekerjaan jenis lain, pekerjaan yang berbahaya, atau pekerjaan untuk orang lain.

3. Gaji Anda adalah {{ salary }} riyal Saudi per bulan. Gaji dibayarkan setiap akhir bulan melalui platform Musaned, dan tidak boleh dipotong untuk membayar biaya perekrutan Anda: semua biaya perekrutan ditanggung oleh majikan Anda.

4. Kontrak ini berlaku selama {{ months }} bulan sejak hari Anda tiba di Arab Saudi. Sebanyak {{ guarantee_days }} hari pertama adalah masa percobaan.

5. Anda berhak atas istirahat harian paling sedikit {{ rest_hours }} jam, satu hari libur setiap minggu, dan cuti berbayar selama satu bulan setelah dua tahun bekerja.

6. Majikan Anda menyediakan tempat tinggal yang layak, makanan, dan perawatan kesehatan. Paspor dan dokumen Anda adalah milik Anda: tidak seorang pun boleh menahannya dari Anda.

7. Jika Anda mengalami masalah dengan majikan atau kantor perekrutan, Anda dapat mengajukan pengaduan di Musaned dalam bahasa Anda.

Nomor kontrak: {{ contract_number }}. Mohon terima atau tolak kontrak ini sebelum {{ decision_due }} (waktu Arab Saudi)."""

TAGALOG = """{{ worker_name }}, ito ang buod ng iyong kontrata sa trabaho sa wikang Tagalog. Ang buong kontrata, sa wikang Arabe at Ingles, ay pantay na nagbibigkis sa iyo at sa iyong employer.

1. Ang iyong employer ay si {{ employer_name }}, na nakatira sa {{ employer_city }}, Saudi Arabia. Ikaw ay kinukuha sa pamamagitan ng lisensyadong recruitment office na {{ office_name }} (telepono {{ office_phone }}).

2. Magtatrabaho ka bilang {{ occupation }} sa bahay ng iyong employer. Hindi ka maaaring bigyan ng ibang uri ng trabaho, ng mapanganib na trabaho, o ng trabaho para sa ibang tao.

3. Ang iyong sahod ay {{ salary }} Saudi riyal bawat buwan. Ibinabayad ito sa katapusan ng bawat buwan sa pamamagitan ng Musaned platform, at walang maaaring ibawas dito para sa iyong recruitment: ang iyong employer ang nagbabayad ng lahat ng gastos sa recruitment.

4. Ang kontrata ay tatagal nang {{ months }} buwan mula sa araw ng iyong pagdating sa Saudi Arabia. Ang unang {{ guarantee_days }} araw ay panahon ng pagsubok (trial period).

5. May karapatan ka sa pang-araw-araw na pahinga na hindi bababa sa {{ rest_hours }} oras, isang araw na pahinga bawat linggo, at isang buwang bakasyon na may bayad pagkatapos ng dalawang taon ng trabaho.

6. Ang iyong employer ay magbibigay sa iyo ng maayos na tirahan, pagkain, at pangangalagang medikal. Ang iyong pasaporte at mga dokumento ay sa iyo: walang sinuman ang maaaring magtago ng mga ito mula sa iyo.

7. Kung may problema ka sa iyong employer o sa recruitment office, maaari kang magsampa ng reklamo sa Musaned sa iyong sariling wika.

Numero ng kontrata: {{ contract_number }}. Mangyaring tanggapin o tanggihan ang kontratang ito bago ang {{ decision_due }} (oras sa Saudi Arabia)."""

INDONESIAN_LABELS = {
    "page_title": "Kontrak kerja Anda",
    "intro": (
        "{{ employer_name }} ingin mempekerjakan Anda sebagai {{ occupation }} di Arab Saudi, melalui kantor "
        "perekrutan {{ office_name }}. Bacalah kontrak ini, lalu terima atau tolak."
    ),
    "answer_by": "Mohon jawab sebelum {{ decision_due }} (waktu Arab Saudi).",
    "your_language": "Kontrak dalam bahasa Anda",
    "terms_heading": "Kontrak dalam bahasa Arab dan bahasa Inggris",
    "download": "Unduh kontrak (PDF)",
    "pdf_pending": "PDF sedang disiapkan. Muat ulang halaman ini sebentar lagi.",
    "accept": "Saya menerima kontrak ini",
    "decline": "Saya menolak kontrak ini",
    "decline_reason": "Mengapa Anda menolak? (boleh dikosongkan)",
    "accepted": (
        "Anda telah menerima kontrak ini pada {{ answered_on }}. Kantor perekrutan akan menghubungi Anda "
        "tentang keberangkatan Anda."
    ),
    "declined": "Anda telah menolak kontrak ini pada {{ answered_on }}. Tidak ada lagi yang perlu dilakukan.",
    "expired": "Waktu untuk menjawab kontrak ini telah habis. Kontrak ini tidak lagi terbuka.",
    "reason_too_long": "Tulislah paling banyak 500 karakter.",
    "sms": (
        "Musaned: {{ employer_name }} menawarkan kontrak kerja kepada Anda sebagai {{ occupation }}. Baca dalam "
        "bahasa Anda dan jawab sebelum {{ decision_due }}: {{ link }}"
    ),
}

TAGALOG_LABELS = {
    "page_title": "Ang iyong kontrata sa trabaho",
    "intro": (
        "Nais kang kunin ni {{ employer_name }} bilang {{ occupation }} sa Saudi Arabia, sa pamamagitan ng "
        "recruitment office na {{ office_name }}. Basahin ang kontrata, pagkatapos ay tanggapin o tanggihan ito."
    ),
    "answer_by": "Mangyaring sumagot bago ang {{ decision_due }} (oras sa Saudi Arabia).",
    "your_language": "Ang kontrata sa iyong wika",
    "terms_heading": "Ang kontrata sa wikang Arabe at Ingles",
    "download": "I-download ang kontrata (PDF)",
    "pdf_pending": "Inihahanda pa ang PDF. I-reload ang pahinang ito maya-maya.",
    "accept": "Tinatanggap ko ang kontratang ito",
    "decline": "Tinatanggihan ko ang kontratang ito",
    "decline_reason": "Bakit mo ito tinatanggihan? (maaaring iwanang blangko)",
    "accepted": (
        "Tinanggap mo ang kontratang ito noong {{ answered_on }}. Makikipag-ugnayan sa iyo ang recruitment "
        "office tungkol sa iyong pagbiyahe."
    ),
    "declined": "Tinanggihan mo ang kontratang ito noong {{ answered_on }}. Wala ka nang kailangang gawin.",
    "expired": "Lumipas na ang oras para sagutin ang kontratang ito. Hindi na ito bukas.",
    "reason_too_long": "Mangyaring sumulat ng hindi hihigit sa 500 titik.",
    "sms": (
        "Musaned: Inaalok sa iyo ni {{ employer_name }} ang isang kontrata sa trabaho bilang {{ occupation }}. "
        "Basahin ito sa iyong wika at sumagot bago ang {{ decision_due }}: {{ link }}"
    ),
}

# language code, name (in the language itself), text, words of the worker's page
TEMPLATES = [
    ("en", "English", ENGLISH, {}),
    ("id", "Bahasa Indonesia", INDONESIAN, INDONESIAN_LABELS),
    ("tl", "Tagalog", TAGALOG, TAGALOG_LABELS),
]


def seed(apps, schema_editor):
    ContractTemplate = apps.get_model("recruitment", "ContractTemplate")
    for language, name, body, labels in TEMPLATES:
        ContractTemplate.objects.get_or_create(
            language=language,
            defaults={"language_name": name, "direction": "ltr", "body": body, "labels": labels, "active": True},
        )


class Migration(migrations.Migration):
    dependencies = [("recruitment", "0005_recruitmentprocess_contract_worker_decline_reason_and_more")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
