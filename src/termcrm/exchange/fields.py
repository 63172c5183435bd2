"""What can be imported: the fields of each kind of record and the column titles that mean them.

Titles are matched after :func:`header_key` folds them (case, spaces, punctuation,
ё), so "E-mail", "Email" and "e mail" are one title. The lists cover termcrm's own
exports, Google Contacts, Outlook, and the CSV and Excel exports of the common CRMs
(amoCRM, Bitrix24, Salesforce, HubSpot, Zoho, Pipedrive), in English, Russian and
Chinese.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from termcrm.i18n import N_

ENTITIES = ("clients", "contacts", "interactions", "deals", "shipments", "payments", "plans")


@dataclass(frozen=True, slots=True)
class Field:
    key: str
    label: str  # English (marked for translation: _(label) shows it in the user's language)
    multi: bool = False  # several columns may feed it (phones, emails): values are joined


def header_key(title: str) -> str:
    """The form column titles are compared in: casefolded, no spaces or punctuation."""
    text = unicodedata.normalize("NFKC", str(title)).casefold().replace("ё", "е")
    return re.sub(r"[\W_]+", "", text)


# titles every entity ignores: termcrm's read-only export columns and rejects-file columns
# (a deal's "Amount follows items" says how the amount was made; the items are not imported)
IGNORED = {
    "amountfollowsitems",
    "sourcerow",
    "rejectreason",
    "department",
    "lastcontact",
    "nexttask",
    "created",
    "updated",
    "closed",
    "completed",
    "отдел",
    "последнийконтакт",
    "следующаязадача",
    "создан",
    "изменен",
    "部门",
}

# Google Contacts and Pipedrive number their repeated columns: "Phone 2 - Value"
_NUMBERED = [
    (re.compile(r"^(?:phone|телефон|电话)\d+(?:value|значение)$"), "phones"),
    (re.compile(r"^(?:email|e?mail)\d+(?:value|значение)$"), "emails"),
    (re.compile(r"^email\d+address$"), "emails"),  # Outlook: "E-mail 2 Address"
    (re.compile(r"^(?:phone|телефон|电话)\d+$"), "phones"),  # "Phone 2"
    (re.compile(r"^(?:email|e?mail|почта|邮箱)\d+$"), "emails"),
    (re.compile(r"^(?:phone|email|website|address|relation|event|im)\d+(?:type|label)$"), ""),
    (re.compile(r"^address\d+(?:street|formatted)$"), "address"),
    (re.compile(r"^address\d+city$"), "city"),
    (re.compile(r"^address\d+postalcode$"), "postcode"),
    (re.compile(r"^address\d+country$"), "country"),
    (re.compile(r"^website\d+value$"), "website"),
]

PHONE_TITLES = [
    "Phone", "Phones", "Telephone", "Tel", "Phone number", "Work phone", "Mobile",
    "Mobile phone", "Cell", "Cell phone", "Business phone", "Business phone 2",
    "Company main phone", "Home phone", "Primary phone", "Other phone", "Main phone",
    "Телефон", "Телефоны", "Тел", "Тел.", "Моб. телефон", "Мобильный", "Мобильный телефон",
    "Рабочий телефон", "Сотовый", "Контактный телефон", "Номер телефона",
    "电话", "手机", "联系电话", "座机", "移动电话", "电话号码", "手机号码", "办公电话",
]  # fmt: skip
EMAIL_TITLES = [
    "Email", "E-mail", "Emails", "Email address", "E-mail address", "Work email",
    "Personal email", "Primary email",
    "Эл. почта", "Электронная почта", "Почта", "Емейл", "Имейл", "Рабочий e-mail",
    "Рабочий email", "Личный email", "Адрес электронной почты",
    "邮箱", "电子邮件", "电子邮箱", "邮件", "邮件地址",
]  # fmt: skip
OWNER_TITLES = [
    "Owner", "Owner login", "Responsible", "Manager", "Account owner", "Sales rep",
    "Deal owner", "Assigned to",
    "Ответственный", "Менеджер", "Ответственный менеджер", "Ответственный сотрудник",
    "负责人", "客户经理", "销售", "所有者", "跟进人",
]  # fmt: skip
CLIENT_REF_TITLES = [
    "Client", "Company", "Organization", "Organisation", "Organization name", "Account",
    "Account name", "Company name", "Organization 1 - Name", "Organization - Name",
    "Клиент", "Компания", "Организация", "Название компании", "Контрагент",
    "公司", "公司名称", "客户", "客户名称", "单位", "单位名称", "企业名称",
]  # fmt: skip
CLIENT_TAX_TITLES = [
    "Client tax ID", "Company tax ID", "Tax ID", "INN", "ИНН", "ИНН компании",
    "ИНН клиента", "ИНН организации", "税号", "纳税人识别号", "统一社会信用代码",
]  # fmt: skip

TITLES: dict[str, dict[str, list[str]]] = {
    "clients": {
        "id": ["ID", "Client ID", "Идентификатор", "客户ID", "编号"],
        "version": ["Version", "Версия", "版本"],
        "name": [
            "Name",
            "Company",
            "Company name",
            "Client",
            "Client name",
            "Organization",
            "Organisation",
            "Organization name",
            "Account name",
            "Account",
            "Organization 1 - Name",
            "Organization - Name",
            "Название",
            "Название компании",
            "Наименование",
            "Наименование клиента",
            "Компания",
            "Клиент",
            "Организация",
            "Название организации",
            "Контрагент",
            "Наименование организации",
            "公司名称",
            "公司",
            "客户名称",
            "客户",
            "企业名称",
            "名称",
            "单位名称",
            "单位",
        ],
        "legal_name": [
            "Legal name",
            "Full legal name",
            "Registered name",
            "Полное наименование",
            "Юридическое наименование",
            "Юридическое название",
            "Юр. название",
            "Полное название",
            "公司全称",
            "法定名称",
            "注册名称",
        ],
        "tax_id": [
            "Tax ID",
            "INN",
            "Tax number",
            "VAT",
            "VAT number",
            "TIN",
            "ИНН",
            "ИНН организации",
            "ИНН клиента",
            "税号",
            "纳税人识别号",
            "统一社会信用代码",
        ],
        "kind": [
            "Kind",
            "Client type",
            "Company type",
            "Тип",
            "Тип клиента",
            "Тип компании",
            "Вид",
            "类型",
            "客户类型",
        ],
        "group": [
            "Group",
            "Client group",
            "Segment",
            "Customer group",
            "Группа",
            "Группа клиентов",
            "Сегмент",
            "Категория",
            "分组",
            "客户分组",
            "客户组",
            "客户类别",
            "客户等级",
            "客户级别",
            "等级",
        ],
        "status": ["Status", "Client status", "Статус", "Статус клиента", "状态", "客户状态"],
        "industry": [
            "Industry",
            "Sector",
            "Отрасль",
            "Сфера деятельности",
            "Вид деятельности",
            "行业",
            "所属行业",
        ],
        "territory": [
            "Territory",
            "Region",
            "State",
            "Billing state",
            "Регион",
            "Территория",
            "Область",
            "Округ",
            "区域",
            "地区",
            "省份",
            "省",
        ],
        "city": [
            "City",
            "Town",
            "Billing city",
            "Business city",
            "Город",
            "Населенный пункт",
            "城市",
            "市",
        ],
        "address": [
            "Address",
            "Street",
            "Street address",
            "Billing street",
            "Business street",
            "Адрес",
            "Фактический адрес",
            "Почтовый адрес",
            "Улица",
            "地址",
            "公司地址",
            "详细地址",
        ],
        "legal_address": ["Legal address", "Юридический адрес", "Юр. адрес", "注册地址"],
        "postcode": [
            "Postcode",
            "Zip",
            "Zip code",
            "Postal code",
            "Billing zip",
            "Billing postal code",
            "Business postal code",
            "Индекс",
            "Почтовый индекс",
            "邮编",
            "邮政编码",
        ],
        "country": [
            "Country",
            "Country/Region",
            "Billing country",
            "Business country/region",
            "Страна",
            "国家",
            "国家/地区",
        ],
        "phones": PHONE_TITLES,
        "emails": EMAIL_TITLES,
        "website": [
            "Website",
            "Web site",
            "Web page",
            "Site",
            "URL",
            "Company domain name",
            "Сайт",
            "Веб-сайт",
            "Корпоративный сайт",
            "Web",
            "网站",
            "网址",
            "公司网站",
        ],
        "source": [
            "Source",
            "Lead source",
            "Источник",
            "Канал",
            "Источник клиента",
            "来源",
            "客户来源",
        ],
        "tags": ["Tags", "Tag", "Теги", "Метки", "Тэги", "标签"],
        "owner": OWNER_TITLES,
        "contact": [
            "Contact",
            "Contact person",
            "Contact name",
            "Контактное лицо",
            "Контакт",
            "联系人",
            "联系人姓名",
        ],
        "contact_position": [
            "Contact position",
            "Contact title",
            "Должность контактного лица",
            "联系人职位",
        ],
        "parent": [
            "Parent ID",
            "Parent",
            "Parent company",
            "Parent account",
            "Головная компания",
            "Головная организация",
            "母公司",
            "上级公司",
        ],
        "bank_details": [
            "Bank details",
            "Banking details",
            "Банковские реквизиты",
            "Реквизиты",
            "银行信息",
            "开户行及账号",
            "开户信息",
        ],
        "business_info": [
            "Business info",
            "Description",
            "Notes",
            "Note",
            "Comment",
            "Comments",
            "About",
            "Описание",
            "Примечание",
            "Примечания",
            "Комментарий",
            "Заметки",
            "Информация",
            "备注",
            "说明",
            "描述",
            "简介",
        ],
    },
    "contacts": {
        "id": ["ID", "Contact ID", "Идентификатор", "编号"],
        "version": ["Version", "Версия", "版本"],
        "full_name": [
            "Full name",
            "Name",
            "Contact",
            "Contact name",
            "Contact person",
            "Display name",
            "Full Name",
            "ФИО",
            "Ф.И.О.",
            "Контактное лицо",
            "Контакт",
            "Имя контакта",
            "姓名",
            "联系人",
            "联系人姓名",
        ],
        "first_name": ["First name", "Given name", "Имя", "名"],
        "middle_name": ["Middle name", "Additional name", "Отчество"],
        "last_name": ["Last name", "Family name", "Surname", "Фамилия", "姓"],
        "position": [
            "Position",
            "Title",
            "Job title",
            "Organization 1 - Title",
            "Organization title",
            "Organization - Title",
            "Должность",
            "职位",
            "职务",
            "头衔",
        ],
        "client": CLIENT_REF_TITLES,
        "client_id": ["Client ID", "Company ID", "ID клиента", "客户ID"],
        "client_tax_id": CLIENT_TAX_TITLES,
        "phones": PHONE_TITLES,
        "emails": EMAIL_TITLES,
        "birthday": [
            "Birthday",
            "Date of birth",
            "Birth date",
            "DOB",
            "День рождения",
            "Дата рождения",
            "生日",
            "出生日期",
        ],
        "notes": [
            "Notes",
            "Note",
            "Comment",
            "Comments",
            "Description",
            "Примечание",
            "Заметки",
            "Комментарий",
            "备注",
            "说明",
        ],
        "character_notes": [
            "Character notes",
            "Character",
            "Personality",
            "Характер",
            "Особенности",
            "Черты характера",
            "性格",
            "性格特点",
        ],
    },
    "interactions": {
        "id": ["ID", "Интеракция", "编号"],
        "version": ["Version", "Версия", "版本"],
        "occurred_at": [
            "When",
            "Date",
            "Date and time",
            "Datetime",
            "Date time",
            "Activity date",
            "Дата",
            "Дата и время",
            "Когда",
            "日期",
            "日期时间",
            "时间",
        ],
        "time": ["Time", "Время", "时刻"],
        "kind": [
            "Kind",
            "Type",
            "Activity type",
            "Channel",
            "Тип",
            "Вид",
            "Тип контакта",
            "Способ",
            "Канал",
            "类型",
            "方式",
            "联系方式",
        ],
        "direction": ["Direction", "Направление", "方向"],
        "client": CLIENT_REF_TITLES,
        "client_id": ["Client ID", "ID клиента", "客户ID"],
        "client_tax_id": CLIENT_TAX_TITLES,
        "contact": ["Contact", "Contact person", "Контактное лицо", "Контакт", "联系人"],
        "contact_id": ["Contact ID", "ID контакта"],
        "purpose": [
            "Purpose",
            "Subject",
            "Topic",
            "Цель",
            "Тема",
            "Предмет",
            "目的",
            "主题",
        ],
        "result": ["Result", "Outcome", "Результат", "Итог", "结果", "结论"],
        "user": [*OWNER_TITLES, "User", "Пользователь", "Сотрудник", "用户", "员工"],
        "deal_id": ["Deal ID", "ID сделки", "商机ID"],
    },
    "deals": {
        "id": ["ID", "Deal ID", "ID сделки", "编号"],
        "version": ["Version", "Версия", "版本"],
        "title": [
            "Title",
            "Deal",
            "Deal name",
            "Opportunity",
            "Opportunity name",
            "Name",
            "Сделка",
            "Название сделки",
            "Название",
            "商机",
            "商机名称",
            "名称",
        ],
        "client": CLIENT_REF_TITLES,
        "client_id": ["Client ID", "ID клиента", "客户ID"],
        "client_tax_id": CLIENT_TAX_TITLES,
        "pipeline": [
            "Pipeline",
            "Sales pipeline",
            "Funnel",
            "Воронка",
            "Воронка продаж",
            "销售漏斗",
            "漏斗",
            "销售管道",
        ],
        "stage": ["Stage", "Deal stage", "Этап", "Стадия", "Этап сделки", "阶段", "销售阶段"],
        "kind": [
            "Type",
            "Deal type",
            "Тип",
            "Тип сделки",
            "Вид сделки",
            "类型",
            "商机类型",
        ],
        "amount": [
            "Amount",
            "Sum",
            "Value",
            "Deal value",
            "Budget",
            "Сумма",
            "Бюджет",
            "Сумма сделки",
            "金额",
            "商机金额",
        ],
        "currency": ["Currency", "Валюта", "币种", "货币"],
        "expected_close": [
            "Expected close",
            "Close date",
            "Expected close date",
            "Дата закрытия",
            "Ожидаемая дата закрытия",
            "Планируемая дата закрытия",
            "预计成交日期",
            "预计结束日期",
        ],
        "owner": OWNER_TITLES,
        "source": ["Source", "Lead source", "Источник", "来源"],
        "competitor": ["Competitor", "Конкурент", "竞争对手"],
        "lost_reason": [
            "Lost reason",
            "Loss reason",
            "Причина отказа",
            "Причина проигрыша",
            "丢单原因",
        ],
        "description": ["Description", "Notes", "Описание", "Комментарий", "描述", "备注"],
    },
}

# the sales facts of the accounting system (1C and the like) and the sales plans
CURRENCY_TITLES = ["Currency", "Currency code", "Валюта", "Код валюты", "币种", "货币"]
EXTERNAL_ID_TITLES = [
    "External ID", "ID", "Code", "Line ID", "Row ID", "GUID", "UUID",
    "Внешний код", "Внешний ID", "Код", "Код строки", "Идентификатор", "ИД",
    "外部编号", "外部ID", "编号", "行号",
]  # fmt: skip
DOCUMENT_TITLES = [
    "Document", "Document number", "Document no", "Doc no", "Number",
    "Документ", "Номер документа", "Номер", "Регистратор", "Основание",
    "单据", "单据号", "单据编号", "单号",
]  # fmt: skip
FACTS_CLIENT = {
    "client": [*CLIENT_REF_TITLES, "Customer", "Buyer", "Payer", "Покупатель", "Плательщик",
               "买方", "付款方", "付款单位"],
    "client_id": ["Client ID", "ID клиента", "客户ID"],
    "client_tax_id": [*CLIENT_TAX_TITLES, "ИНН контрагента", "ИНН покупателя",
                      "ИНН плательщика"],
}  # fmt: skip

TITLES["shipments"] = {
    "shipped_on": [
        "Date", "Shipment date", "Shipped", "Shipped on", "Ship date", "Invoice date",
        "Дата", "Дата отгрузки", "Дата документа", "Дата реализации", "Период",
        "日期", "发货日期", "出库日期", "销售日期",
    ],
    **FACTS_CLIENT,
    "product": [
        "Product", "Product name", "Item", "Goods", "Service",
        "Номенклатура", "Товар", "Продукт", "Товар/услуга", "Наименование",
        "产品", "商品", "物料", "产品名称", "商品名称",
    ],
    "product_sku": [
        "SKU", "Product SKU", "Article", "Item code", "Product code",
        "Артикул", "Код номенклатуры", "Код товара",
        "货号", "物料编码", "商品编码", "产品编码",
    ],
    "product_group": [
        "Product group", "Product category", "Category", "Group",
        "Группа номенклатуры", "Группа товаров", "Товарная группа", "Категория",
        "Вид номенклатуры",
        "产品类别", "商品分类", "品类", "产品组",
    ],
    "quantity": ["Quantity", "Qty", "Количество", "Кол-во", "Кол.", "数量"],
    "amount": [
        "Amount", "Sum", "Total", "Net amount", "Revenue", "Sales",
        "Сумма", "Сумма с НДС", "Сумма продажи", "Выручка", "Стоимость",
        "金额", "总额", "销售额", "含税金额",
    ],
    "currency": CURRENCY_TITLES,
    "document": DOCUMENT_TITLES,
    "manager": [*OWNER_TITLES, "Менеджер по продажам", "业务员"],
    "external_id": EXTERNAL_ID_TITLES,
}  # fmt: skip
TITLES["payments"] = {
    "paid_on": [
        "Date", "Payment date", "Paid on", "Received", "Value date",
        "Дата", "Дата оплаты", "Дата платежа", "Дата поступления", "Период",
        "日期", "付款日期", "收款日期", "到账日期",
    ],
    **FACTS_CLIENT,
    "amount": [
        "Amount", "Sum", "Payment", "Paid", "Received amount",
        "Сумма", "Сумма оплаты", "Сумма платежа", "Поступление", "Оплата",
        "金额", "付款金额", "收款金额",
    ],
    "currency": CURRENCY_TITLES,
    "document": [*DOCUMENT_TITLES, "Payment order", "Платёжное поручение",
                 "Платежное поручение", "Номер п/п"],
    "external_id": EXTERNAL_ID_TITLES,
}  # fmt: skip
TITLES["plans"] = {
    "month": [
        "Month", "Period", "Plan month", "Месяц", "Период", "Месяц плана", "月份", "月", "期间",
    ],
    "user": [
        "User", "Login", "Rep", "Sales rep", "Manager", "Employee", "Responsible",
        "Пользователь", "Логин", "Менеджер", "Сотрудник", "Ответственный",
        "用户", "员工", "销售", "业务员", "负责人",
    ],
    "department": ["Department", "Team", "Division", "Отдел", "Подразделение", "部门", "团队"],
    "amount": [
        "Plan", "Amount", "Target", "Plan amount", "Sales plan", "Quota",
        "План", "Сумма", "Сумма плана", "План продаж",
        "计划", "目标", "金额", "计划金额", "销售目标",
    ],
    "currency": CURRENCY_TITLES,
}  # fmt: skip

LABELS: dict[str, str] = {
    "id": N_("record id"),
    "version": N_("version"),
    "name": N_("name"),
    "legal_name": N_("legal name"),
    "tax_id": N_("tax id"),
    "kind": N_("kind"),
    "group": N_("group"),
    "status": N_("status"),
    "industry": N_("industry"),
    "territory": N_("territory"),
    "city": N_("city"),
    "address": N_("address"),
    "legal_address": N_("legal address"),
    "postcode": N_("postcode"),
    "country": N_("country"),
    "phones": N_("phones"),
    "emails": N_("emails"),
    "website": N_("website"),
    "source": N_("source"),
    "tags": N_("tags"),
    "owner": N_("owner"),
    "parent": N_("parent client"),
    "contact_position": N_("contact's position"),
    "bank_details": N_("bank details"),
    "business_info": N_("business info"),
    "full_name": N_("full name"),
    "first_name": N_("first name"),
    "middle_name": N_("middle name"),
    "last_name": N_("last name"),
    "position": N_("position"),
    "client": N_("client"),
    "client_id": N_("client id"),
    "client_tax_id": N_("client's tax id"),
    "birthday": N_("birthday"),
    "notes": N_("notes"),
    "character_notes": N_("character notes"),
    "occurred_at": N_("when"),
    "time": N_("time"),
    "direction": N_("direction"),
    "contact": N_("contact person"),
    "contact_id": N_("contact id"),
    "purpose": N_("purpose"),
    "result": N_("result"),
    "user": N_("user"),
    "deal_id": N_("deal id"),
    "title": N_("title"),
    "pipeline": N_("pipeline"),
    "stage": N_("stage"),
    "amount": N_("amount"),
    "currency": N_("currency"),
    "expected_close": N_("expected close"),
    "competitor": N_("competitor"),
    "lost_reason": N_("lost reason"),
    "description": N_("description"),
    "shipped_on": N_("shipment date"),
    "product": N_("product"),
    "product_sku": N_("product SKU"),
    "product_group": N_("product group"),
    "quantity": N_("quantity"),
    "document": N_("document"),
    "manager": N_("sales manager"),
    "external_id": N_("external id"),
    "paid_on": N_("payment date"),
    "month": N_("month"),
    "department": N_("department"),
}
# fields several columns may feed (Owner and Owner login name one user: a login wins)
MULTI = {"phones", "emails", "tags", "business_info", "notes", "owner", "user", "manager"}


# titles that mean a field only when no other column does: Outlook's "Title" is "Mr." when
# the file also has "Job Title"
WEAK = {("contacts", "title")}


def fields(entity: str) -> list[Field]:
    return [Field(k, LABELS[k], k in MULTI) for k in TITLES[entity]]


def _index(entity: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, titles in TITLES[entity].items():
        for title in titles:
            out.setdefault(header_key(title), key)
        out.setdefault(header_key(key), key)
        out.setdefault(header_key(LABELS[key]), key)
    return out


INDEX = {entity: _index(entity) for entity in ENTITIES}


def field_for(entity: str, title: str) -> str | None:
    """The field a column title means for this kind of record; "" for a known column to skip."""
    key = header_key(title)
    if not key:
        return None
    found = INDEX[entity].get(key)
    if found is not None:
        return found
    for pattern, target in _NUMBERED:
        if pattern.match(key):
            if target and target not in TITLES[entity]:
                return ""
            return target
    if key in IGNORED:
        return ""
    return None
