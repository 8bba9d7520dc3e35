"""Strings of the scenario calculator, the partner finder and the spatial
structure of gaps (Russian default, English), merged into
:data:`analytics.i18n.STRINGS`; read them with :func:`analytics.i18n.t`."""

from __future__ import annotations

TOOL_STRINGS: dict[str, dict[str, str]] = {
    # pages and deck sections
    "section.scenario": {"ru": "сценарии", "en": "scenarios"},
    "section.spatial": {"ru": "пространственная структура", "en": "spatial structure"},
    "section.partners": {
        "ru": "партнёры для сотрудничества",
        "en": "cooperation partners",
    },
    "page.scenario": {"ru": "Сценарии «что если»", "en": "What-if scenarios"},
    "page.partners": {
        "ru": "Партнёры для сотрудничества",
        "en": "Cooperation partners",
    },
    "page.spatial": {"ru": "Пространственная структура", "en": "Spatial structure"},
    # ---------------------------------------------------------------- scenario
    "scenario.intro": {
        "ru": "Что изменится, если территория получит деньги или кадры, и как "
        "распределить фиксированный бюджет, чтобы разрыв сократился сильнее "
        "всего. Все индексы пересчитываются теми же функциями, что и на "
        "остальных страницах.",
        "en": "What changes if a territory receives money or staff, and how to split "
        "a fixed budget so that the gap shrinks most. Every index is "
        "recomputed with the same functions as on the other pages.",
    },
    "scenario.no_indicator": {
        "ru": "Для сценария нужен показатель «больше — лучше» в расчёте на жителя "
        "(руб. на жителя, чел. на 10 000 жителей) с численностью населения за "
        "год.",
        "en": "A scenario needs a per-resident indicator where more is better "
        "(roubles per resident, persons per 10,000 residents) with population "
        "that year.",
    },
    "scenario.section.splits": {
        "ru": "Куда направить фиксированный бюджет",
        "en": "Where a fixed budget should go",
    },
    "scenario.section.what_if": {
        "ru": "Что если одна территория получит больше",
        "en": "What if one territory receives more",
    },
    "scenario.territory": {"ru": "Территория", "en": "Territory"},
    "scenario.mode": {"ru": "Что меняется", "en": "What changes"},
    "scenario.mode.amount": {
        "ru": "территория получает {unit}",
        "en": "the territory receives {unit}",
    },
    "scenario.mode.close_gap": {
        "ru": "разрыв с ориентиром сокращается",
        "en": "its gap to a benchmark closes",
    },
    "scenario.amount": {"ru": "Сколько, {unit}", "en": "How much, {unit}"},
    "scenario.close_gap": {"ru": "Сократить разрыв на, %", "en": "Close the gap by, %"},
    "scenario.benchmark": {"ru": "Ориентир", "en": "Benchmark"},
    "scenario.benchmark.median": {
        "ru": "медиана агломерации",
        "en": "the agglomeration's median",
    },
    "scenario.benchmark.core": {"ru": "ядро агломерации", "en": "the core"},
    "scenario.budget": {
        "ru": "Бюджет для распределения, {unit}",
        "en": "Budget to split, {unit}",
    },
    "scenario.splits_title": {
        "ru": "Как распределить {budget}: «{indicator}», {year}",
        "en": "How to split {budget}: «{indicator}», {year}",
    },
    "scenario.splits_caption": {
        "ru": "Выравнивание снизу снижает индекс Джини (с весами) с {before} до "
        "{after}; поровну на жителя — до {per_capita}, поровну на территорию — "
        "до {per_territory}.",
        "en": "Levelling up lowers the population-weighted Gini from {before} to "
        "{after}; equal per resident: to {per_capita}; equal per territory: to "
        "{per_territory}.",
    },
    "scenario.allocation_title": {
        "ru": "Кому сколько: «{indicator}» до и после, {year}",
        "en": "Who gets what: «{indicator}» before and after, {year}",
    },
    "scenario.effect_title": {
        "ru": "«{territory}» получает {what}: «{indicator}», {year}",
        "en": "«{territory}» receives {what}: «{indicator}», {year}",
    },
    "scenario.effect_close_title": {
        "ru": "Разрыв «{territory}» с ориентиром ({benchmark}) сокращается на "
        "{share} %: «{indicator}», {year}",
        "en": "The gap of «{territory}» to {benchmark} closes by {share} %: "
        "«{indicator}», {year}",
    },
    "scenario.effect_caption": {
        "ru": "{territory}: {before} → {after} {unit}, место {rank_before} → "
        "{rank_after} из {n}; разрыв с медианой {gap_before} → {gap_after}. "
        "Джини с весами {gini_before} → {gini_after}; недостаток до медианы по "
        "агломерации закрыт на {closed} %.",
        "en": "{territory}: {before} → {after} {unit}, rank {rank_before} → "
        "{rank_after} of {n}; gap to the median {gap_before} → {gap_after}. "
        "Weighted Gini {gini_before} → {gini_after}; {closed} % of the "
        "agglomeration's shortfall to the median closed.",
    },
    "scenario.split.none": {"ru": "без изменений", "en": "no change"},
    "scenario.split.level_up": {
        "ru": "выравнивание снизу",
        "en": "level up the lowest",
    },
    "scenario.split.equal_per_capita": {
        "ru": "поровну на жителя",
        "en": "equal per resident",
    },
    "scenario.split.equal_per_territory": {
        "ru": "поровну на территорию",
        "en": "equal per territory",
    },
    "scenario.col.split": {"ru": "Распределение", "en": "Split"},
    "scenario.col.below_median": {"ru": "Ниже медианы", "en": "Below the median"},
    "scenario.col.shortfall": {
        "ru": "Недостаток до медианы",
        "en": "Shortfall to the median",
    },
    "scenario.col.min_after": {"ru": "Минимум после", "en": "Lowest after"},
    "scenario.col.n_receiving": {"ru": "Получают", "en": "Receiving"},
    "scenario.col.before": {"ru": "До", "en": "Before"},
    "scenario.col.after": {"ru": "После", "en": "After"},
    "scenario.col.added": {"ru": "Получает", "en": "Receives"},
    "scenario.col.rank_before": {"ru": "Место до", "en": "Rank before"},
    "scenario.col.rank_after": {"ru": "Место после", "en": "Rank after"},
    "scenario.col.gap_median_before": {
        "ru": "Разрыв с медианой до",
        "en": "Gap to median before",
    },
    "scenario.col.gap_median_after": {
        "ru": "Разрыв с медианой после",
        "en": "Gap to median after",
    },
    "scenario.col.gap_core_before": {
        "ru": "Разрыв с ядром до",
        "en": "Gap to core before",
    },
    "scenario.col.gap_core_after": {
        "ru": "Разрыв с ядром после",
        "en": "Gap to core after",
    },
    "scenario.col.weighted_before": {"ru": "С весами, до", "en": "Weighted, before"},
    "scenario.col.weighted_after": {"ru": "С весами, после", "en": "Weighted, after"},
    "scenario.col.unweighted_before": {
        "ru": "Без весов, до",
        "en": "Unweighted, before",
    },
    "scenario.col.unweighted_after": {
        "ru": "Без весов, после",
        "en": "Unweighted, after",
    },
    "scenario.legend.before": {"ru": "до", "en": "before"},
    "scenario.legend.after": {"ru": "после", "en": "after"},
    "scenario.method": {
        "ru": "Выравнивание снизу поднимает самые низкие значения до общего уровня и "
        "больше никого: при неотрицательных добавках и заданной сумме оно даёт "
        "наименьшие значения всех относительных индексов неравенства сразу.",
        "en": "Levelling up raises the lowest values to a common level and no one "
        "else: with non-negative additions and a fixed total it gives the "
        "lowest value of every relative inequality index at once.",
    },
    # ---------------------------------------------------------------- partners
    "partners.intro": {
        "ru": "Соседние муниципалитеты, у которых разрывы дополняют друг друга: у "
        "одного недостаток там, где у другого избыток относительно медианы "
        "агломерации. Совместное использование (общая услуга, передача "
        "полномочий по соглашению) может закрыть часть разрыва.",
        "en": "Neighbouring municipalities whose gaps complement each other: one is "
        "short where the other has a surplus over the agglomeration's median. "
        "Sharing (a joint service, a power transferred by agreement) could "
        "close part of the gap.",
    },
    "partners.reason": {
        "ru": "«{receiver}»: не хватает {deficit} до медианы по показателю "
        "«{indicator}»; «{giver}»: {surplus} сверх неё — совместное "
        "использование закрыло бы {share} % недостатка.",
        "en": "{receiver} is {deficit} short of the median on «{indicator}», {giver} "
        "has {surplus} above it: sharing could close {share} % of {receiver}'s "
        "shortfall.",
    },
    "partners.template_subject": {
        "ru": "организация транспортного обслуживания",
        "en": "transport services",
    },
    "partners.neighbourhood": {"ru": "Соседи", "en": "Neighbours"},
    "partners.by_border": {"ru": "общая граница", "en": "shared border"},
    "partners.by_distance": {"ru": "в пределах расстояния", "en": "within a distance"},
    "partners.distance": {
        "ru": "Расстояние между центрами, км",
        "en": "Distance between centres, km",
    },
    "partners.no_boundaries": {
        "ru": "Нет границ муниципалитетов этой агломерации: соседи определяются по "
        "расстоянию между центрами.",
        "en": "No municipal boundaries for this agglomeration: neighbours are found "
        "by the distance between centres.",
    },
    "partners.indicators": {"ru": "Показатели", "en": "Indicators"},
    "partners.none": {
        "ru": "Среди соседей нет пар с дополняющими друг друга разрывами по "
        "выбранным показателям.",
        "en": "No pair of neighbours has complementary gaps on the chosen indicators.",
    },
    "partners.table_title": {
        "ru": "Предлагаемые пары, {year}",
        "en": "Suggested pairs, {year}",
    },
    "partners.network_title": {
        "ru": "Сеть сотрудничества: действующие соглашения и предложения, {year}",
        "en": "Cooperation network: existing agreements and suggestions, {year}",
    },
    "partners.caption": {
        "ru": "{n} {n|пара|пары|пар} соседей с дополняющими разрывами; лучшая — "
        "«{a}» и «{b}».",
        "en": "{n} {n|pair|pairs} of neighbours with complementary gaps; the best "
        "is {a} and {b}.",
    },
    "partners.legend.agreement": {
        "ru": "действующее соглашение",
        "en": "existing agreement",
    },
    "partners.legend.suggestion": {"ru": "предложение", "en": "suggestion"},
    "partners.legend.territory": {"ru": "муниципалитет", "en": "municipality"},
    "partners.col.pair": {"ru": "Пара", "en": "Pair"},
    "partners.col.score": {"ru": "Оценка", "en": "Score"},
    "partners.col.reason": {"ru": "Почему", "en": "Why"},
    "partners.col.mutual": {"ru": "Взаимно", "en": "Mutual"},
    "partners.col.subject": {"ru": "Предмет", "en": "Subject"},
    "partners.col.year": {"ru": "Год", "en": "Year"},
    "partners.upload": {
        "ru": "Действующие соглашения (CSV: territory_a, territory_b, subject, year)",
        "en": "Existing agreements (CSV: territory_a, territory_b, subject, year)",
    },
    "partners.template": {
        "ru": "Скачать шаблон CSV",
        "en": "Download the CSV template",
    },
    "partners.loaded": {
        "ru": "Загружено соглашений: {n}",
        "en": "Agreements loaded: {n}",
    },
    "partners.score_help": {
        "ru": "Оценка — сумма по показателям доли ориентира, на которую совместное "
        "использование подняло бы отстающего партнёра.",
        "en": "Score: the sum over indicators of the share of the benchmark by which "
        "sharing would lift the partner that is behind.",
    },
    "partners.err_encoding": {
        "ru": "Файл соглашений не в кодировке UTF-8 или cp1251",
        "en": "The agreements file is neither UTF-8 nor cp1251",
    },
    "partners.err_empty": {
        "ru": "{file}: файл пуст",
        "en": "{file}: the file is empty",
    },
    "partners.err_header": {
        "ru": "{file}, строка 1: ожидаются столбцы {expected}; в файле: {found}",
        "en": "{file}, line 1: expected the columns {expected}; found: {found}",
    },
    "partners.err_rows": {
        "ru": "{file}: больше {limit} строк",
        "en": "{file}: more than {limit} lines",
    },
    "partners.err_no_territory": {
        "ru": "{file}, строка {line}, ячейка {cell} ({column}): пустая ячейка, нужна "
        "территория",
        "en": "{file}, line {line}, cell {cell} ({column}): empty, a territory is "
        "needed",
    },
    "partners.err_unknown": {
        "ru": "{file}, строка {line}, ячейка {cell} ({column}): территория «{value}» "
        "не найдена",
        "en": "{file}, line {line}, cell {cell} ({column}): territory «{value}» not "
        "found",
    },
    "partners.err_ambiguous": {
        "ru": "{file}, строка {line}, ячейка {cell} ({column}): название «{value}» "
        "носят несколько территорий, укажите код ОКТМО",
        "en": "{file}, line {line}, cell {cell} ({column}): several territories are "
        "named «{value}», give the OKTMO code",
    },
    "partners.err_same": {
        "ru": "{file}, строка {line}, ячейка {cell} ({column}): территория «{value}» "
        "совпадает с territory_a",
        "en": "{file}, line {line}, cell {cell} ({column}): territory «{value}» is "
        "the same as territory_a",
    },
    "partners.err_subject": {
        "ru": "{file}, строка {line}, ячейка {cell} ({column}): пустой предмет "
        "соглашения",
        "en": "{file}, line {line}, cell {cell} ({column}): the subject is empty",
    },
    "partners.err_year": {
        "ru": "{file}, строка {line}, ячейка {cell} ({column}): «{value}» — не год "
        "(ожидается число от {low} до {high})",
        "en": "{file}, line {line}, cell {cell} ({column}): «{value}» is not a year "
        "(a number from {low} to {high} expected)",
    },
    # ----------------------------------------------------------------- spatial
    "spatial.intro": {
        "ru": "Сидят ли отстающие территории рядом? Глобальный индекс Морана "
        "показывает, похожи ли значения соседей; локальный (LISA) находит "
        "кластеры: высокие среди высоких, низкие среди низких, и выбросы. "
        "Вывод делается только при p < 0,05 (перестановочный тест).",
        "en": "Do lagging territories sit together? Global Moran's I says whether "
        "neighbours' values are alike; the local statistic (LISA) finds "
        "clusters: high among high, low among low, and outliers. Claims only "
        "where p < 0.05 (permutation test).",
    },
    "spatial.scope": {"ru": "Территории", "en": "Territories"},
    "spatial.scope.agglomeration": {"ru": "агломерация", "en": "the agglomeration"},
    "spatial.scope.region": {
        "ru": "все муниципалитеты региона",
        "en": "all municipalities of the region",
    },
    "spatial.scope.country": {"ru": "вся страна", "en": "the whole country"},
    "spatial.weights": {"ru": "Соседство", "en": "Neighbourhood"},
    "spatial.weights.queen": {
        "ru": "общая граница (queen)",
        "en": "shared border (queen)",
    },
    "spatial.weights.knn": {"ru": "k ближайших", "en": "k nearest"},
    "spatial.k": {"ru": "k", "en": "k"},
    "spatial.too_few": {
        "ru": "Для пространственного анализа нужно не меньше {need} территорий с "
        "границами и значениями; есть {n}.",
        "en": "Spatial analysis needs at least {need} territories with boundaries "
        "and values; there are {n}.",
    },
    "spatial.no_boundaries": {
        "ru": "Нет границ муниципалитетов для этих территорий.",
        "en": "No municipal boundaries for these territories.",
    },
    "spatial.map_title": {
        "ru": "Кластеры LISA: «{indicator}», {year}",
        "en": "LISA clusters: «{indicator}», {year}",
    },
    "spatial.scatter_title": {
        "ru": "Диаграмма Морана: «{indicator}», {year}",
        "en": "Moran scatter plot: «{indicator}», {year}",
    },
    "spatial.axis.z": {
        "ru": "значение (стандартизованное)",
        "en": "value (standardised)",
    },
    "spatial.axis.lag": {
        "ru": "среднее у соседей (стандартизованное)",
        "en": "neighbours' average (standardised)",
    },
    "spatial.cluster.HH": {"ru": "высокие среди высоких", "en": "high among high"},
    "spatial.cluster.LL": {"ru": "низкие среди низких", "en": "low among low"},
    "spatial.cluster.HL": {"ru": "высокие среди низких", "en": "high among low"},
    "spatial.cluster.LH": {"ru": "низкие среди высоких", "en": "low among high"},
    "spatial.cluster.ns": {
        "ru": "незначимо (p ≥ 0,05)",
        "en": "not significant (p ≥ 0.05)",
    },
    "spatial.cluster.": {"ru": "нет соседей", "en": "no neighbours"},
    "spatial.moran_line": {
        "ru": "I Морана = {I} (ожидание при случайном размещении {expected}), p = "
        "{p} по {perms} {perms|перестановке|перестановкам|перестановкам}; {n} "
        "{n|территория|территории|территорий}.",
        "en": "Moran's I = {I} (expected under randomness {expected}), p = {p} from "
        "{perms} {perms|permutation|permutations}; {n} {n|territory|territories}.",
    },
    "spatial.sentence.cluster": {
        "ru": "Отстающие территории группируются: значения соседей похожи (I = {I}, "
        "p = {p}); территорий в значимых кластерах «отстающие среди отстающих»: "
        "{lagging}.",
        "en": "Lagging territories cluster: neighbours' values are alike (I = {I}, p "
        "= {p}); {lagging} territories sit in significant clusters of laggards.",
    },
    "spatial.sentence.local_only": {
        "ru": "В целом значения соседей не похожи сильнее, чем при случайном "
        "размещении (I = {I}, p = {p}), но в значимых локальных кластерах "
        "«отстающие среди отстающих» находятся территорий: {lagging}.",
        "en": "Overall, neighbours are not more alike than by chance (I = {I}, p = "
        "{p}), but {lagging} territories sit in significant local clusters of "
        "laggards.",
    },
    "spatial.sentence.none": {
        "ru": "Нет оснований говорить, что отстающие территории группируются: I = "
        "{I}, p = {p} (нужно p < 0,05), значимых кластеров отстающих нет.",
        "en": "No evidence that lagging territories cluster: I = {I}, p = {p} (p < "
        "0.05 needed), no significant cluster of laggards.",
    },
    "spatial.sentence.similar": {
        "ru": "Значения соседей похожи сильнее, чем при случайном размещении "
        "(I = {I}, p = {p}), но значимых кластеров «отстающие среди отстающих» нет.",
        "en": "Neighbours are more alike than by chance (I = {I}, p = {p}), but no "
        "territory sits in a significant cluster of laggards.",
    },
    "spatial.sentence.dispersed": {
        "ru": "Значения соседей различаются сильнее, чем при случайном размещении (I "
        "= {I}, p = {p}): отстающие соседствуют с лидерами.",
        "en": "Neighbours differ more than by chance (I = {I}, p = {p}): laggards "
        "sit next to leaders.",
    },
    "spatial.col.cluster": {"ru": "Кластер", "en": "Cluster"},
    "spatial.col.p": {"ru": "p", "en": "p"},
    "spatial.boundaries_source": {
        "ru": "Границы: СберИндекс; © участники OpenStreetMap (ODbL)",
        "en": "Boundaries: SberIndex; © OpenStreetMap contributors (ODbL)",
    },
}
