//! Multilingual name tables for the demo dataset: people, companies, cities and phone
//! formats for Vietnamese, Chinese, Russian, English and French customers. Every entry carries
//! an ASCII romanisation so e-mail addresses stay plain while display names keep diacritics.

use rand::Rng;
use rand::rngs::StdRng;

/// The cultural origin of a generated person or company.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Locale {
    Vietnamese,
    Chinese,
    Russian,
    English,
    French,
}

/// Share of each locale among generated leads and customers, in per mille.
pub(crate) const LOCALE_WEIGHTS: [(Locale, u32); 5] = [
    (Locale::Vietnamese, 300),
    (Locale::Chinese, 250),
    (Locale::Russian, 150),
    (Locale::English, 250),
    (Locale::French, 50),
];

/// A name part and its ASCII romanisation.
type Part = (&'static str, &'static str);

const VI_FAMILY: &[Part] = &[
    ("Nguyễn", "nguyen"),
    ("Trần", "tran"),
    ("Lê", "le"),
    ("Phạm", "pham"),
    ("Hoàng", "hoang"),
    ("Huỳnh", "huynh"),
    ("Phan", "phan"),
    ("Vũ", "vu"),
    ("Võ", "vo"),
    ("Đặng", "dang"),
    ("Bùi", "bui"),
    ("Đỗ", "do"),
    ("Hồ", "ho"),
    ("Ngô", "ngo"),
    ("Dương", "duong"),
    ("Lý", "ly"),
];
const VI_MIDDLE_MALE: &[&str] = &["Văn", "Minh", "Đức", "Quốc", "Hoàng", "Thanh", "Hữu"];
const VI_MIDDLE_FEMALE: &[&str] = &["Thị", "Ngọc", "Thu", "Thanh", "Minh", "Kim", "Hồng"];
const VI_GIVEN_MALE: &[Part] = &[
    ("An", "an"),
    ("Cường", "cuong"),
    ("Dũng", "dung"),
    ("Hải", "hai"),
    ("Hiếu", "hieu"),
    ("Hùng", "hung"),
    ("Khánh", "khanh"),
    ("Long", "long"),
    ("Nam", "nam"),
    ("Phúc", "phuc"),
    ("Quân", "quan"),
    ("Quang", "quang"),
    ("Sơn", "son"),
    ("Thắng", "thang"),
    ("Tuấn", "tuan"),
    ("Việt", "viet"),
];
const VI_GIVEN_FEMALE: &[Part] = &[
    ("Bích", "bich"),
    ("Giang", "giang"),
    ("Hà", "ha"),
    ("Hạnh", "hanh"),
    ("Hoa", "hoa"),
    ("Hương", "huong"),
    ("Lan", "lan"),
    ("Linh", "linh"),
    ("Mai", "mai"),
    ("Ngân", "ngan"),
    ("Phương", "phuong"),
    ("Tâm", "tam"),
    ("Thảo", "thao"),
    ("Thủy", "thuy"),
    ("Trang", "trang"),
    ("Yến", "yen"),
];

const ZH_FAMILY: &[Part] = &[
    ("王", "wang"),
    ("李", "li"),
    ("张", "zhang"),
    ("刘", "liu"),
    ("陈", "chen"),
    ("杨", "yang"),
    ("黄", "huang"),
    ("赵", "zhao"),
    ("吴", "wu"),
    ("周", "zhou"),
    ("徐", "xu"),
    ("孙", "sun"),
    ("马", "ma"),
    ("朱", "zhu"),
    ("胡", "hu"),
    ("郭", "guo"),
    ("何", "he"),
    ("林", "lin"),
    ("罗", "luo"),
    ("高", "gao"),
];
const ZH_GIVEN_MALE: &[Part] = &[
    ("伟", "wei"),
    ("强", "qiang"),
    ("磊", "lei"),
    ("军", "jun"),
    ("洋", "yang"),
    ("勇", "yong"),
    ("杰", "jie"),
    ("涛", "tao"),
    ("明", "ming"),
    ("超", "chao"),
    ("刚", "gang"),
    ("建华", "jianhua"),
    ("晓明", "xiaoming"),
    ("志强", "zhiqiang"),
    ("浩然", "haoran"),
    ("文", "wen"),
];
const ZH_GIVEN_FEMALE: &[Part] = &[
    ("娜", "na"),
    ("芳", "fang"),
    ("敏", "min"),
    ("静", "jing"),
    ("丽", "li"),
    ("艳", "yan"),
    ("娟", "juan"),
    ("霞", "xia"),
    ("秀英", "xiuying"),
    ("桂英", "guiying"),
    ("婷", "ting"),
    ("雪", "xue"),
    ("玲", "ling"),
    ("欣怡", "xinyi"),
    ("佳琪", "jiaqi"),
    ("慧", "hui"),
];

/// Russian surnames in their masculine form; the feminine form appends "а" / "a".
const RU_FAMILY: &[Part] = &[
    ("Петров", "petrov"),
    ("Иванов", "ivanov"),
    ("Смирнов", "smirnov"),
    ("Кузнецов", "kuznetsov"),
    ("Попов", "popov"),
    ("Соколов", "sokolov"),
    ("Лебедев", "lebedev"),
    ("Козлов", "kozlov"),
    ("Новиков", "novikov"),
    ("Морозов", "morozov"),
    ("Волков", "volkov"),
    ("Соловьёв", "solovyov"),
    ("Васильев", "vasilyev"),
    ("Зайцев", "zaytsev"),
    ("Павлов", "pavlov"),
    ("Фёдоров", "fyodorov"),
];
const RU_GIVEN_MALE: &[Part] = &[
    ("Иван", "ivan"),
    ("Алексей", "aleksey"),
    ("Дмитрий", "dmitry"),
    ("Сергей", "sergey"),
    ("Андрей", "andrey"),
    ("Михаил", "mikhail"),
    ("Николай", "nikolay"),
    ("Владимир", "vladimir"),
    ("Павел", "pavel"),
    ("Артём", "artyom"),
    ("Юрий", "yury"),
    ("Олег", "oleg"),
];
const RU_GIVEN_FEMALE: &[Part] = &[
    ("Анна", "anna"),
    ("Мария", "maria"),
    ("Елена", "elena"),
    ("Ольга", "olga"),
    ("Наталья", "natalya"),
    ("Татьяна", "tatyana"),
    ("Екатерина", "ekaterina"),
    ("Ирина", "irina"),
    ("Светлана", "svetlana"),
    ("Юлия", "yulia"),
    ("Дарья", "darya"),
    ("Ксения", "ksenia"),
];

const EN_FAMILY: &[Part] = &[
    ("Smith", "smith"),
    ("Johnson", "johnson"),
    ("Williams", "williams"),
    ("Brown", "brown"),
    ("Jones", "jones"),
    ("Miller", "miller"),
    ("Davis", "davis"),
    ("Wilson", "wilson"),
    ("Taylor", "taylor"),
    ("Anderson", "anderson"),
    ("Thompson", "thompson"),
    ("White", "white"),
    ("Harris", "harris"),
    ("Clark", "clark"),
    ("Lewis", "lewis"),
    ("Walker", "walker"),
    ("O'Brien", "obrien"),
    ("McAllister", "mcallister"),
    ("Young", "young"),
    ("Hughes", "hughes"),
];
const EN_GIVEN_MALE: &[Part] = &[
    ("James", "james"),
    ("John", "john"),
    ("Robert", "robert"),
    ("Michael", "michael"),
    ("William", "william"),
    ("David", "david"),
    ("Richard", "richard"),
    ("Thomas", "thomas"),
    ("Oliver", "oliver"),
    ("Harry", "harry"),
    ("George", "george"),
    ("Noah", "noah"),
];
const EN_GIVEN_FEMALE: &[Part] = &[
    ("Mary", "mary"),
    ("Patricia", "patricia"),
    ("Jennifer", "jennifer"),
    ("Linda", "linda"),
    ("Elizabeth", "elizabeth"),
    ("Susan", "susan"),
    ("Jessica", "jessica"),
    ("Sarah", "sarah"),
    ("Emily", "emily"),
    ("Sophie", "sophie"),
    ("Amelia", "amelia"),
    ("Olivia", "olivia"),
];

const FR_FAMILY: &[Part] = &[
    ("Dubois", "dubois"),
    ("Lefèvre", "lefevre"),
    ("Moreau", "moreau"),
    ("Laurent", "laurent"),
    ("Girard", "girard"),
    ("Bonnet", "bonnet"),
    ("Dupont", "dupont"),
    ("Lambert", "lambert"),
    ("Fontaine", "fontaine"),
    ("Rousseau", "rousseau"),
];
const FR_GIVEN_MALE: &[Part] = &[
    ("Hugo", "hugo"),
    ("Louis", "louis"),
    ("Lucas", "lucas"),
    ("Théo", "theo"),
    ("Jérôme", "jerome"),
    ("François", "francois"),
];
const FR_GIVEN_FEMALE: &[Part] = &[
    ("Camille", "camille"),
    ("Léa", "lea"),
    ("Chloé", "chloe"),
    ("Manon", "manon"),
    ("Élodie", "elodie"),
    ("Hélène", "helene"),
];

/// A generated person: display name (native script) and the ASCII local part of an e-mail.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Person {
    pub name: String,
    pub email_local: String,
}

/// Joins string parts with one allocation of the exact size (names are built millions of times).
pub(crate) fn concat(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        out.push_str(p);
    }
    out
}

/// The tables here are non-empty constants.
fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// Draws a person of the given locale, with the name order that locale uses.
pub(crate) fn person(rng: &mut StdRng, locale: Locale) -> Person {
    let female = rng.random_bool(0.5);
    match locale {
        Locale::Vietnamese => {
            let family = pick(rng, VI_FAMILY);
            let (middle, given) = if female {
                (pick(rng, VI_MIDDLE_FEMALE), pick(rng, VI_GIVEN_FEMALE))
            } else {
                (pick(rng, VI_MIDDLE_MALE), pick(rng, VI_GIVEN_MALE))
            };
            Person {
                name: concat(&[family.0, " ", middle, " ", given.0]),
                email_local: concat(&[given.1, ".", family.1]),
            }
        }
        Locale::Chinese => {
            let family = pick(rng, ZH_FAMILY);
            let given = pick(
                rng,
                if female {
                    ZH_GIVEN_FEMALE
                } else {
                    ZH_GIVEN_MALE
                },
            );
            Person {
                name: concat(&[family.0, given.0]),
                email_local: concat(&[given.1, ".", family.1]),
            }
        }
        Locale::Russian => {
            let family = pick(rng, RU_FAMILY);
            let given = pick(
                rng,
                if female {
                    RU_GIVEN_FEMALE
                } else {
                    RU_GIVEN_MALE
                },
            );
            let (suffix, ascii_suffix) = if female { ("а", "a") } else { ("", "") };
            Person {
                name: concat(&[given.0, " ", family.0, suffix]),
                email_local: concat(&[given.1, ".", family.1, ascii_suffix]),
            }
        }
        Locale::English | Locale::French => {
            let (families, males, females) = if locale == Locale::English {
                (EN_FAMILY, EN_GIVEN_MALE, EN_GIVEN_FEMALE)
            } else {
                (FR_FAMILY, FR_GIVEN_MALE, FR_GIVEN_FEMALE)
            };
            let family = pick(rng, families);
            let given = pick(rng, if female { females } else { males });
            Person {
                name: concat(&[given.0, " ", family.0]),
                email_local: concat(&[given.1, ".", family.1]),
            }
        }
    }
}

/// A legal form around a company's distinctive name: (before, after).
type Form = (&'static str, &'static str);

/// Distinctive parts of company names, with an ASCII slug for the web domain.
const VI_COMPANY_CORE: &[Part] = &[
    ("Minh Phát", "minhphat"),
    ("Hoàng Long", "hoanglong"),
    ("Phú Thịnh", "phuthinh"),
    ("Thành Công", "thanhcong"),
    ("Đại Việt", "daiviet"),
    ("Sao Mai", "saomai"),
    ("Hưng Thịnh", "hungthinh"),
    ("An Khang", "ankhang"),
    ("Bình Minh", "binhminh"),
    ("Tân Phú", "tanphu"),
    ("Việt Tiến", "viettien"),
    ("Phương Nam", "phuongnam"),
    ("Trường Sơn", "truongson"),
    ("Kim Ngân", "kimngan"),
];
const VI_COMPANY_FORM: &[Form] = &[
    ("Công ty TNHH ", ""),
    ("Công ty Cổ phần ", ""),
    ("Tập đoàn ", ""),
];

const ZH_COMPANY_CORE: &[Part] = &[
    ("华信", "huaxin"),
    ("鼎盛", "dingsheng"),
    ("恒通", "hengtong"),
    ("金桥", "jinqiao"),
    ("瑞丰", "ruifeng"),
    ("东方", "dongfang"),
    ("新星", "xinxing"),
    ("天元", "tianyuan"),
    ("宏达", "hongda"),
    ("嘉禾", "jiahe"),
    ("永安", "yongan"),
    ("博远", "boyuan"),
];
const ZH_COMPANY_FORM: &[Form] = &[("", "科技有限公司"), ("", "贸易有限公司"), ("", "集团")];

const RU_COMPANY_CORE: &[Part] = &[
    ("Восток", "vostok"),
    ("СибТорг", "sibtorg"),
    ("Альфа-Строй", "alfastroy"),
    ("Техносфера", "tekhnosfera"),
    ("Гранит", "granit"),
    ("Меридиан", "meridian"),
    ("Вектор", "vektor"),
    ("Прогресс", "progress"),
    ("Интегра", "integra"),
    ("Ладога", "ladoga"),
    ("Полярис", "polaris"),
];
const RU_COMPANY_FORM: &[Form] = &[("ООО «", "»"), ("АО «", "»"), ("ПАО «", "»")];

const EN_COMPANY_CORE: &[Part] = &[
    ("Bluebird", "bluebird"),
    ("Northwind", "northwind"),
    ("Riverside", "riverside"),
    ("Summit", "summit"),
    ("Oakwood", "oakwood"),
    ("Brightline", "brightline"),
    ("Harbor", "harbor"),
    ("Pinnacle", "pinnacle"),
    ("Granite Peak", "granitepeak"),
    ("Evergreen", "evergreen"),
    ("Silverline", "silverline"),
    ("Westbrook", "westbrook"),
];
/// "& Sons" on purpose: an ampersand every encoder in the chain must escape.
const EN_COMPANY_FORM: &[Form] = &[
    ("", " Ltd"),
    ("", " Inc."),
    ("", " & Sons"),
    ("", " Holdings"),
];

const FR_COMPANY_CORE: &[Part] = &[
    ("Atelier Lumière", "atelierlumiere"),
    ("Maison Dupré", "maisondupre"),
    ("Côte d'Azur Conseil", "cotedazur"),
    ("Bureau Étoile", "bureauetoile"),
    ("Les Ateliers Réunis", "ateliersreunis"),
];
const FR_COMPANY_FORM: &[Form] = &[("", " SARL"), ("", " SA"), ("", "")];

/// A generated company: display name and web domain (without country suffix).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Company {
    pub name: String,
    pub slug: &'static str,
}

pub(crate) fn company(rng: &mut StdRng, locale: Locale) -> Company {
    let (cores, forms) = match locale {
        Locale::Vietnamese => (VI_COMPANY_CORE, VI_COMPANY_FORM),
        Locale::Chinese => (ZH_COMPANY_CORE, ZH_COMPANY_FORM),
        Locale::Russian => (RU_COMPANY_CORE, RU_COMPANY_FORM),
        Locale::English => (EN_COMPANY_CORE, EN_COMPANY_FORM),
        Locale::French => (FR_COMPANY_CORE, FR_COMPANY_FORM),
    };
    let core = pick(rng, cores);
    let form = pick(rng, forms);
    Company {
        name: concat(&[form.0, core.0, form.1]),
        slug: core.1,
    }
}

/// Countries a locale's leads come from, with weights; codes are looked up in `res.country`.
pub(crate) fn countries(locale: Locale) -> &'static [(&'static str, u32)] {
    match locale {
        Locale::Vietnamese => &[("VN", 100)],
        Locale::Chinese => &[("CN", 80), ("SG", 20)],
        Locale::Russian => &[("RU", 100)],
        Locale::English => &[("US", 45), ("GB", 30), ("AU", 15), ("SG", 10)],
        Locale::French => &[("FR", 100)],
    }
}

/// Every country code the generator may use (the reference lookup checks all of them).
pub(crate) const COUNTRY_CODES: [&str; 8] = ["VN", "CN", "SG", "RU", "US", "GB", "AU", "FR"];

pub(crate) fn cities(country: &str) -> &'static [&'static str] {
    match country {
        "VN" => &[
            "Hà Nội",
            "Thành phố Hồ Chí Minh",
            "Đà Nẵng",
            "Hải Phòng",
            "Cần Thơ",
        ],
        "CN" => &["上海", "北京", "深圳", "广州", "杭州", "成都"],
        "SG" => &["Singapore"],
        "RU" => &[
            "Москва",
            "Санкт-Петербург",
            "Новосибирск",
            "Екатеринбург",
            "Казань",
        ],
        "US" => &["New York", "San Francisco", "Chicago", "Austin", "Seattle"],
        "GB" => &["London", "Manchester", "Leeds", "Bristol"],
        "AU" => &["Sydney", "Melbourne", "Brisbane"],
        "FR" => &["Paris", "Lyon", "Marseille", "Bordeaux"],
        _ => &[],
    }
}

/// Top-level domain of a company web site in that country.
pub(crate) fn tld(country: &str) -> &'static str {
    match country {
        "VN" => "com.vn",
        "CN" => "com.cn",
        "SG" => "com.sg",
        "RU" => "ru",
        "GB" => "co.uk",
        "AU" => "com.au",
        "FR" => "fr",
        _ => "com",
    }
}

/// Free-mail providers people of a locale use instead of a company address.
pub(crate) fn free_mail(locale: Locale) -> &'static [&'static str] {
    match locale {
        Locale::Vietnamese => &["gmail.com", "yahoo.com.vn"],
        Locale::Chinese => &["qq.com", "163.com"],
        Locale::Russian => &["yandex.ru", "mail.ru"],
        Locale::English => &["gmail.com", "outlook.com"],
        Locale::French => &["gmail.com", "orange.fr"],
    }
}

/// A plausible phone number in the country's usual international format.
pub(crate) fn phone(rng: &mut StdRng, country: &str) -> String {
    let pattern = match country {
        "VN" => "+84 9# ### ####",
        "CN" => "+86 13# #### ####",
        "SG" => "+65 8### ####",
        "RU" => "+7 9## ###-##-##",
        "GB" => "+44 20 #### ####",
        "AU" => "+61 4## ### ###",
        "FR" => "+33 1 ## ## ## ##",
        _ => "+1 555 ### ####",
    };
    pattern
        .chars()
        .map(|c| {
            if c == '#' {
                char::from(b'0' + rng.random_range(0..10u8))
            } else {
                c
            }
        })
        .collect()
}

/// What a lead asks for, in English and in the customer's language.
pub(crate) fn interests(locale: Locale) -> &'static [&'static str] {
    match locale {
        Locale::Vietnamese => &[
            "Báo giá nội thất văn phòng",
            "Triển khai phần mềm ERP",
            "Tư vấn chuyển đổi số",
            "Mua 50 ghế văn phòng",
        ],
        Locale::Chinese => &[
            "办公家具询价",
            "ERP 系统实施",
            "会议室设备采购",
            "年度维护合同",
        ],
        Locale::Russian => &[
            "Запрос цены на мебель",
            "Внедрение ERP",
            "Оснащение переговорной",
            "Годовой контракт на поддержку",
        ],
        Locale::French => &[
            "Devis mobilier de bureau",
            "Mise en place d'un ERP",
            "Aménagement salle de réunion",
        ],
        Locale::English => &[],
    }
}

pub(crate) const INTERESTS_EN: &[&str] = &[
    "Office furniture quote",
    "ERP implementation",
    "Cloud hosting plan",
    "Website redesign",
    "Training package",
    "Annual support contract",
    "Meeting room setup",
    "CRM licences",
    "Consulting days",
    "Ergonomic chairs for new office",
];

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn vietnamese_names_keep_diacritics_and_ascii_emails() {
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..200 {
            let p = person(&mut rng, Locale::Vietnamese);
            assert_eq!(p.name.split(' ').count(), 3, "{}", p.name);
            assert!(p.email_local.is_ascii(), "{}", p.email_local);
        }
    }

    #[test]
    fn russian_feminine_surnames_agree_in_both_scripts() {
        let mut rng = StdRng::seed_from_u64(3);
        let mut seen_female = false;
        for _ in 0..100 {
            let p = person(&mut rng, Locale::Russian);
            if p.name.ends_with("ва") {
                seen_female = true;
                assert!(p.email_local.ends_with('a'), "{p:?}");
            }
        }
        assert!(seen_female);
    }

    #[test]
    fn every_country_has_cities_and_every_table_is_ascii_where_it_must_be() {
        for code in COUNTRY_CODES {
            assert!(!cities(code).is_empty(), "{code}");
        }
        for (core, slug) in VI_COMPANY_CORE
            .iter()
            .chain(ZH_COMPANY_CORE)
            .chain(RU_COMPANY_CORE)
            .chain(EN_COMPANY_CORE)
            .chain(FR_COMPANY_CORE)
        {
            assert!(slug.is_ascii() && !slug.is_empty(), "{core}");
        }
        let mut rng = StdRng::seed_from_u64(1);
        assert!(phone(&mut rng, "VN").starts_with("+84 9"));
        assert!(company(&mut rng, Locale::Chinese).name.chars().count() > 2);
    }
}
