"""The demo zone: organisation, staff, industry chains, named enterprises and projects.

Modelled on the zone's newspaper page of March 2023 (the "1+5+N" promotion system, the
three outposts, 三六零集团 and the two medical-device makers visited by the province).
Staff names, unit names other than those in the page, generated enterprises and every
amount are fictional.  Credit codes are generated so that their GB 32100-2015 check
character holds; they are not the enterprises' real codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

DEMO_PASSWORD = "zhaoshang-demo"  # noqa: S105 - a published demo password, never used in production

# The demo is present when its promotion centre exists; loading again then does nothing.
CENTRE_NAME = "投资促进中心"


@dataclass(frozen=True)
class UnitSpec:
    key: str
    name: str
    kind: str
    parent: str | None = None
    region: str = ""


UNITS: tuple[UnitSpec, ...] = (
    UnitSpec("admin", "高新区管委会", "administration"),
    # The "1": coordinates all promotion work.
    UnitSpec("centre", CENTRE_NAME, "promotion_centre", "admin"),
    # The three outposts act as forward posts in the regions where investors sit.
    UnitSpec("outpost_jjj", "京津冀招商分局", "outpost", "centre", "jingjinji"),
    UnitSpec("outpost_csj", "长三角招商分局", "outpost", "centre", "yangtze_delta"),
    UnitSpec("outpost_gba", "粤港澳大湾区招商分局", "outpost", "centre", "greater_bay"),
    # The "5": park operators, the holding group, city- and district-level state platforms.
    UnitSpec("park_cyber", "网安产业园运营中心", "park_operator", "admin"),
    UnitSpec("park_sensor", "智能传感器产业园运营中心", "park_operator", "admin"),
    UnitSpec("park_bio", "生物医药产业园运营中心", "park_operator", "admin"),
    UnitSpec("holding", "高新投控集团", "holding_group", "admin"),
    UnitSpec("platform_city", "市级国资平台", "state_platform", "admin"),
    UnitSpec("platform_district", "区级国资平台", "state_platform", "admin"),
    # The "N": market-based agencies engaged by the zone, coordinated by the centre.
    UnitSpec("agency_1", "启航招商服务有限公司", "market_agency", "centre"),
    UnitSpec("agency_2", "衡远产业咨询有限公司", "market_agency", "centre"),
    UnitSpec("agency_3", "链动投资促进服务有限公司", "market_agency", "centre"),
    UnitSpec("office_shifo", "石佛办事处", "subdistrict", "admin"),
    UnitSpec("office_goucha", "沟赵办事处", "subdistrict", "admin"),
    UnitSpec("office_fengyang", "枫杨办事处", "subdistrict", "admin"),
    UnitSpec("dept_econ", "经济发展局", "department", "admin"),
)


@dataclass(frozen=True)
class StaffSpec:
    username: str
    name: str
    unit: str
    role: str
    title: str
    login: bool = False  # listed among the demo logins


STAFF: tuple[StaffSpec, ...] = (
    StaffSpec("leader", "李振华", "admin", "leader", "管委会副主任", login=True),
    StaffSpec("coordinator", "王思远", "centre", "coordinator", "项目管理岗", login=True),
    StaffSpec("park1", "陈立新", "park_cyber", "unit_manager", "主任", login=True),
    StaffSpec("officer1", "赵晓东", "park_cyber", "officer", "招商专员", login=True),
    StaffSpec("officer2", "刘佳", "park_sensor", "officer", "招商专员", login=True),
    StaffSpec("viewer", "孙悦", "park_cyber", "viewer", "综合岗", login=True),
    StaffSpec("park2", "何晓峰", "park_sensor", "unit_manager", "主任"),
    StaffSpec("park3", "郭静", "park_bio", "unit_manager", "主任"),
    StaffSpec("officer3", "冯晨", "park_bio", "officer", "招商专员"),
    StaffSpec("beijing", "周北辰", "outpost_jjj", "unit_manager", "分局长"),
    StaffSpec("shanghai", "吴思航", "outpost_csj", "unit_manager", "分局长"),
    StaffSpec("shenzhen", "郑粤明", "outpost_gba", "unit_manager", "分局长"),
    StaffSpec("holding", "马骁", "holding", "officer", "投资经理"),
    StaffSpec("citycap", "韩东", "platform_city", "officer", "投资经理"),
    StaffSpec("districtcap", "邓敏", "platform_district", "officer", "投资经理"),
    StaffSpec("agency1", "黄启明", "agency_1", "officer", "项目经理"),
    StaffSpec("agency2", "林芳", "agency_2", "officer", "项目经理"),
    StaffSpec("agency3", "杨帆", "agency_3", "officer", "项目经理"),
    StaffSpec("shifo", "曹磊", "office_shifo", "viewer", "经济办"),
)


@dataclass(frozen=True)
class NodeSpec:
    name: str
    segment: str
    industries: tuple[str, ...]  # GB/T 4754-2017 class codes of enterprises in this node
    words: tuple[str, ...]  # words that generated enterprise names in this node use


@dataclass(frozen=True)
class ChainSpec:
    name: str
    kind: str
    description: str
    nodes: tuple[NodeSpec, ...] = field(default_factory=tuple)


CHAINS: tuple[ChainSpec, ...] = (
    ChainSpec(
        "网络安全与信息安全",
        "leading",
        "主导产业：以国家网络安全基础设施群为牵引，覆盖安全芯片、安全软硬件与安全服务。",
        (
            NodeSpec("安全芯片与密码模块", "upstream", ("6520", "3973"), ("芯安", "密码", "安芯")),
            NodeSpec("基础软件与操作系统", "upstream", ("6511", "6512"), ("软件", "系统", "数智")),
            NodeSpec("安全硬件设备", "midstream", ("3915",), ("网安", "信安", "安全设备")),
            NodeSpec("安全软件与平台", "midstream", ("6513", "6519"), ("网络安全", "数据安全", "信息安全")),
            NodeSpec("安全服务与运营", "downstream", ("6440", "6531", "6560"), ("安全服务", "网安科技", "安全技术")),
            NodeSpec("数据服务与存储", "downstream", ("6450", "6550"), ("数据", "云数", "数据科技")),
        ),
    ),
    ChainSpec(
        "智能传感器",
        "leading",
        "主导产业：敏感材料、MEMS 设计制造、封装测试到工业与消费终端应用。",
        (
            NodeSpec("敏感材料", "upstream", ("3985",), ("敏感材料", "电子材料")),
            NodeSpec("MEMS设计与制造", "upstream", ("6520", "3973"), ("微电子", "微纳", "MEMS")),
            NodeSpec("传感器件制造", "midstream", ("3983",), ("传感", "感知", "传感器")),
            NodeSpec("封装测试设备", "midstream", ("3562", "4028"), ("测控", "封测", "测试")),
            NodeSpec("工业与仪表应用", "downstream", ("4011", "4019"), ("仪表", "自控", "工控")),
            NodeSpec("智能终端应用", "downstream", ("3961", "3962"), ("智能终端", "车载", "穿戴")),
        ),
    ),
    ChainSpec(
        "北斗与卫星应用",
        "leading",
        "主导产业：导航芯片与天线、导航终端、卫星运营与位置服务。",
        (
            NodeSpec("导航芯片与天线", "upstream", ("6520", "3979"), ("导航芯", "天线", "星芯")),
            NodeSpec("导航终端与设备", "midstream", ("4023", "3743"), ("导航", "北斗", "星导")),
            NodeSpec("卫星运营", "midstream", ("6339",), ("卫星", "星联", "天链")),
            NodeSpec("位置服务与行业应用", "downstream", ("6450", "6531"), ("位置", "时空", "北斗应用")),
        ),
    ),
    ChainSpec(
        "新材料",
        "leading",
        "主导产业：超硬材料、先进碳材料、特种合金与电子专用材料。",
        (
            NodeSpec("基础化工原料", "upstream", ("2614", "2651"), ("化工", "化学", "新化")),
            NodeSpec("先进碳材料", "midstream", ("3091",), ("碳材", "石墨", "碳素")),
            NodeSpec("超硬与特种合金", "midstream", ("3240", "3099"), ("超硬", "合金", "金刚石")),
            NodeSpec("电子专用材料", "downstream", ("3985",), ("电子新材", "新材料", "材料")),
        ),
    ),
    ChainSpec(
        "生物医药",
        "leading",
        "主导产业：原料药、化学药与生物药、医疗器械，以及医用氧与呼吸健康。",
        (
            NodeSpec("原料药与医药中间体", "upstream", ("2710",), ("药业", "制药", "医药化工")),
            NodeSpec("医药研发外包", "upstream", ("7340",), ("医药研究", "生物研究", "临床")),
            NodeSpec("化学药与生物药", "midstream", ("2720", "2761", "2762"), ("生物", "生物制药", "基因")),
            NodeSpec("医疗器械", "midstream", ("3581", "3584", "3589"), ("医疗器械", "医疗科技", "医疗设备")),
            NodeSpec("医用氧与呼吸健康", "downstream", ("3463", "3589", "2770"), ("氧", "呼吸", "健康科技")),
        ),
    ),
    ChainSpec(
        "人工智能",
        "future",
        "未来产业：AI 芯片、算法与平台、智能机器人与无人系统。",
        (
            NodeSpec("AI芯片", "upstream", ("6520",), ("智芯", "AI芯片", "算力")),
            NodeSpec("算法与平台", "midstream", ("6513", "6512"), ("智能", "智算", "人工智能")),
            NodeSpec("智能机器人", "downstream", ("3491", "3964"), ("机器人", "智造", "机器智能")),
            NodeSpec("智能无人系统", "downstream", ("3963",), ("无人机", "无人系统", "飞控")),
        ),
    ),
    ChainSpec(
        "量子信息",
        "future",
        "未来产业：量子器件、量子通信与量子计算测量。",
        (
            NodeSpec("量子器件", "upstream", ("3976",), ("量子器件", "光子", "光量")),
            NodeSpec("量子通信", "midstream", ("3921",), ("量子通信", "量通", "量信")),
            NodeSpec("量子计算与精密测量", "downstream", ("7310", "4014"), ("量子计算", "量子科技", "量测")),
        ),
    ),
    ChainSpec(
        "元宇宙",
        "future",
        "未来产业：显示与交互器件、三维引擎与内容、沉浸式应用。",
        (
            NodeSpec("显示与交互器件", "upstream", ("3974", "3961"), ("显示", "光显", "交互")),
            NodeSpec("三维引擎与内容制作", "midstream", ("6579", "6513"), ("数字内容", "三维", "虚拟")),
            NodeSpec("沉浸式应用", "downstream", ("6422", "9051"), ("沉浸", "元境", "数字文化")),
        ),
    ),
)


@dataclass(frozen=True)
class NamedEnterprise:
    key: str
    name: str
    province: str
    city: str
    region_code: str  # the credit code's registering region
    industry: str
    owner_unit: str
    nodes: tuple[tuple[str, str], ...]  # (chain, node)
    former_names: str = ""
    exchange: str = ""
    ticker: str = ""
    leader: bool = False
    sme_level: str = ""
    business_scope: str = ""
    notes: str = ""


NAMED_ENTERPRISES: tuple[NamedEnterprise, ...] = (
    NamedEnterprise(
        key="qihoo",
        name="三六零安全科技股份有限公司",
        former_names="三六零集团\n江南嘉捷电梯股份有限公司",
        province="北京",
        city="北京市",
        region_code="120000",
        industry="6440",
        owner_unit="outpost_jjj",
        nodes=(("网络安全与信息安全", "安全服务与运营"), ("网络安全与信息安全", "安全软件与平台")),
        exchange="SSE",
        ticker="601360",
        leader=True,
        business_scope="网络安全产品与服务、互联网安全服务、城市安全运营。",
        notes=(
            "已在高新区建设国家网络安全基础设施群及三六零中原总部公司，面向中原城市提供网络安全服务、"
            "打击电信诈骗；拟将能力中心、APT研究院等科研板块向高新区迁移。"
        ),
    ),
    NamedEnterprise(
        key="oliver",
        name="郑州奥利弗电子科技有限公司",
        province="河南",
        city="郑州市",
        region_code="410100",
        industry="3589",
        owner_unit="park_bio",
        nodes=(("生物医药", "医疗器械"), ("生物医药", "医用氧与呼吸健康")),
        sme_level="municipal",
        business_scope="制氧机、氢气机及相关医疗产品的开发、制造和销售。",
        notes="总部位于高新区河南省大学科技园东区；省工信厅调研医疗器械制造企业时到访。",
    ),
    NamedEnterprise(
        key="tongda",
        name="郑州市通达氧应用开发有限公司",
        province="河南",
        city="郑州市",
        region_code="410100",
        industry="3463",
        owner_unit="park_bio",
        nodes=(("生物医药", "医用氧与呼吸健康"),),
        business_scope="氧应用产品的研发、生产与技术服务，服务生命健康与医疗行业。",
        notes="多年深耕生命健康、医疗行业；省工信厅调研时参观生产车间。",
    ),
)

# Recorded a second time by a market agency, so that the registry shows a duplicate
# for staff to merge.
DUPLICATE_OF_OLIVER = "郑州奥利弗电子科技公司"


@dataclass(frozen=True)
class NamedProject:
    name: str
    enterprise: str  # NamedEnterprise.key
    lead_unit: str
    owner: str  # StaffSpec.username
    stage: str
    chain_node: tuple[str, str]
    industry: str
    source: str
    promotion_method: str
    description: str
    facts: dict[str, object]
    credits: tuple[tuple[str, str, Decimal], ...]
    members: tuple[str, ...] = ()


_W = Decimal  # amounts in 万元, land in 亩

NAMED_PROJECTS: tuple[NamedProject, ...] = (
    NamedProject(
        name="三六零国家网络安全基础设施群（网络安全基地）",
        enterprise="qihoo",
        lead_unit="park_cyber",
        owner="park1",
        stage="construction_started",
        chain_node=("网络安全与信息安全", "安全服务与运营"),
        industry="6440",
        source="京津冀招商分局对接集团总部",
        promotion_method="chain",
        description="建设国家网络安全基础设施群，面向中原城市提供网络安全服务，打击电信诈骗，服务辖区群众。",
        facts={
            "planned_investment": _W("200000"),
            "fixed_asset_investment": _W("150000"),
            "contracted_investment": _W("200000"),
            "land_mu": _W("120"),
            "expected_output": _W("300000"),
            "expected_tax": _W("15000"),
            "expected_jobs": 800,
            "rd_share": _W("12"),
            "patents": 60,
            "high_tech": True,
            "funding_status": "secured",
            "first_contact_on": "2020-09-15",
            "signed_on": "2021-06-18",
            "registered_on": "2021-08-10",
            "land_acquired_on": "2021-11-05",
            "construction_started_on": "2022-03-28",
        },
        credits=(
            ("outpost_jjj", "first_contact", _W("40")),
            ("centre", "referral", _W("20")),
            ("park_cyber", "landing_service", _W("40")),
        ),
        members=("officer1", "coordinator", "beijing"),
    ),
    NamedProject(
        name="三六零中原总部公司",
        enterprise="qihoo",
        lead_unit="park_cyber",
        owner="officer1",
        stage="registered",
        chain_node=("网络安全与信息安全", "安全软件与平台"),
        industry="6440",
        source="京津冀招商分局对接集团总部",
        promotion_method="leader",
        description="设立三六零中原总部公司，承接集团在中原地区的城市安全业务。",
        facts={
            "planned_investment": _W("50000"),
            "contracted_investment": _W("50000"),
            "expected_output": _W("100000"),
            "expected_tax": _W("6000"),
            "expected_jobs": 300,
            "first_contact_on": "2020-09-15",
            "signed_on": "2021-06-18",
            "registered_on": "2021-07-20",
        },
        credits=(
            ("outpost_jjj", "first_contact", _W("50")),
            ("park_cyber", "landing_service", _W("50")),
        ),
        members=("park1", "coordinator"),
    ),
    NamedProject(
        name="三六零能力中心迁移项目",
        enterprise="qihoo",
        lead_unit="centre",
        owner="coordinator",
        stage="negotiating",
        chain_node=("网络安全与信息安全", "安全服务与运营"),
        industry="6440",
        source="管委会主要领导会见集团副总裁一行",
        promotion_method="leader",
        description="集团拟根据发展需要将能力中心向高新区迁移；投资促进中心牵头对接。",
        facts={"planned_investment": _W("30000"), "expected_jobs": 200, "first_contact_on": "2023-03-13"},
        credits=(("centre", "first_contact", _W("60")), ("park_cyber", "landing_service", _W("40"))),
        members=("park1", "officer1"),
    ),
    NamedProject(
        name="三六零APT研究院迁移项目",
        enterprise="qihoo",
        lead_unit="centre",
        owner="coordinator",
        stage="negotiating",
        chain_node=("网络安全与信息安全", "安全软件与平台"),
        industry="6440",
        source="管委会主要领导会见集团副总裁一行",
        promotion_method="leader",
        description="APT研究院等科研板块拟向高新区迁移，研究落地载体与人才配套。",
        facts={"planned_investment": _W("20000"), "expected_jobs": 120, "first_contact_on": "2023-03-13"},
        credits=(("centre", "first_contact", _W("60")), ("park_cyber", "landing_service", _W("40"))),
        members=("park1",),
    ),
    NamedProject(
        name="三六零城市板块上市主体落地",
        enterprise="qihoo",
        lead_unit="centre",
        owner="coordinator",
        stage="contacted",
        chain_node=("网络安全与信息安全", "安全服务与运营"),
        industry="6440",
        source="管委会希望集团将城市板块上市主体等更多优质板块落地高新区",
        promotion_method="leader",
        description="争取城市板块上市主体落地高新区，了解企业背景与板块规划。",
        facts={"first_contact_on": "2023-03-13"},
        credits=(),
    ),
    NamedProject(
        name="奥利弗制氧机扩产项目",
        enterprise="oliver",
        lead_unit="park_bio",
        owner="officer3",
        stage="signed",
        chain_node=("生物医药", "医疗器械"),
        industry="3589",
        source="省工信厅调研后企业提出扩产需求",
        promotion_method="by_business",
        description="扩大制氧机、氢气机产能，建设新产线。",
        facts={
            "planned_investment": _W("12000"),
            "fixed_asset_investment": _W("8000"),
            "contracted_investment": _W("12000"),
            "expected_output": _W("30000"),
            "expected_tax": _W("1200"),
            "expected_jobs": 150,
            "first_contact_on": "2023-03-10",
            "signed_on": "2023-09-20",
        },
        credits=(("park_bio", "first_contact", _W("100")),),
    ),
    NamedProject(
        name="通达氧医用氧应用研发中心",
        enterprise="tongda",
        lead_unit="park_bio",
        owner="park3",
        stage="review",
        chain_node=("生物医药", "医用氧与呼吸健康"),
        industry="3463",
        source="省工信厅调研",
        promotion_method="chain",
        description="围绕生命健康、医疗行业建设医用氧应用研发中心，提升技术攻关水平。",
        facts={"planned_investment": _W("8000"), "expected_jobs": 60, "first_contact_on": "2023-03-10"},
        credits=(("park_bio", "first_contact", _W("70")), ("platform_district", "referral", _W("30"))),
    ),
)

# Where generated enterprises have their headquarters: (province, city, short name,
# credit-code region, weight, outpost that covers the region).
PLACES: tuple[tuple[str, str, str, str, int, str], ...] = (
    ("河南", "郑州市", "郑州", "410100", 30, ""),
    ("北京", "北京市", "北京", "110108", 12, "outpost_jjj"),
    ("天津", "天津市", "天津", "120116", 2, "outpost_jjj"),
    ("上海", "上海市", "上海", "310115", 10, "outpost_csj"),
    ("江苏", "苏州市", "苏州", "320505", 6, "outpost_csj"),
    ("江苏", "南京市", "南京", "320114", 4, "outpost_csj"),
    ("浙江", "杭州市", "杭州", "330108", 8, "outpost_csj"),
    ("安徽", "合肥市", "合肥", "340104", 3, "outpost_csj"),
    ("广东", "深圳市", "深圳", "440305", 10, "outpost_gba"),
    ("广东", "广州市", "广州", "440106", 4, "outpost_gba"),
    ("湖北", "武汉市", "武汉", "420111", 4, ""),
    ("四川", "成都市", "成都", "510107", 3, ""),
    ("陕西", "西安市", "西安", "610113", 3, ""),
    ("山东", "济南市", "济南", "370102", 1, ""),
)

BRAND_FIRST = "华中瑞博天海金鼎恒启星源科睿凯智创联泰远嘉德润宏安信达云卓"
BRAND_SECOND = "芯诚翼通晟锐维拓弘图邦越航讯微光辰川峰宇阳睿泽盛"
LEGAL_FORMS = ("科技有限公司", "技术有限公司", "科技股份有限公司", "股份有限公司", "有限公司")

# Reasons used when generated projects are put on hold or dropped (the "three don'ts"
# and "five don'ts" screening principles among them).
HOLD_REASONS = (
    "企业受行业周期影响，投资计划推迟至明年",
    "企业内部重组，投资决策暂停",
    "用地规划调整中，待新规划批复后再议",
    "对价条件分歧较大，暂缓洽谈",
    "企业融资未到位，待招商引资基金方案确定",
)
DROP_REASONS = (
    "甄别未通过：产能过剩（三不招）",
    "甄别未通过：污染环境（三不招）",
    "甄别未通过：政策不符（三不招）",
    "五不搞：项目实为炒地皮",
    "五不搞：众筹项目",
    "企业选择落地外地，终止跟进",
    "投资方资金实力核实不足，终止",
)
PROJECT_KINDS = ("生产基地项目", "研发中心项目", "区域总部项目", "产业园项目", "扩产项目", "创新中心项目")
LEAD_SOURCES = (
    "以商招商：已落地企业推荐",
    "产业链招商：链主企业配套",
    "驻外分局走访",
    "投资洽谈会",
    "市场化平台推荐",
    "基金投资项目",
    "企业主动来访",
    "领导外出招商",
)

# How many generated projects end at each stage.
STAGE_COUNTS: dict[str, int] = {
    "lead": 16,
    "contacted": 14,
    "negotiating": 13,
    "review": 10,
    "signed": 10,
    "registered": 10,
    "land_acquired": 8,
    "construction_started": 10,
    "in_production": 10,
    "full_capacity": 8,
    "on_hold": 7,
    "dropped": 7,
}

GENERATED_ENTERPRISES = 320
RANDOM_SEED = 20230311  # the day of the zone's promotion meeting

# Evaluation: conditions a review meeting attaches to an approval (carried over as follow-up
# items), and the project whose meeting is still waiting for its decision.
REVIEW_CONDITIONS = (
    "签约前落实项目用地指标，投资强度不低于园区底线",
    "投产后三年内亩均税收达到园区底线",
    "分期出资计划须经招商引资基金复核",
)
PENDING_REVIEW_PROJECT = "通达氧医用氧应用研发中心"
